//! What Conv2d of any geometry ([`Conv2dGeom`](super::Conv2dGeom)) and ConvTranspose2d
//! ([`ConvTranspose2dShape`](super::ConvTranspose2dShape)) share. Each is a forward gather, a
//! backward-input gather of dy and a weight gradient ([`GatherConv`]); the two differ only in
//! which of their gathers is the transposed one, how their weight tensor is laid out, and
//! which of x and dy the weight gradient reads as g. What is built on those is written once:
//! tensor lengths, shape checks and the standalone launchers here, the layer plan in
//! [`GatherPlan`](super::GatherPlan).

use std::fmt::Debug;

use super::checks::{Given, Lens};
use super::gather::{gather, Gather, Out};
use super::geom_weight::{bias_grad, weight_grad, WeightGrad};
use super::{Conv2dShape, PackedInput, PackedWeights, WeightMode};
use crate::gpu::{Dispatch, Gpu, GpuTensor};

/// One op: its dispatch labels (and the names of its bench groups: forward, the plan's
/// backward checks, backward-input, the weight gradient) and its kind of forward gather.
#[derive(Clone, Copy, Debug)]
pub struct Op {
    pub forward: &'static str,
    pub backward: &'static str,
    pub backward_input: &'static str,
    pub backward_weight: &'static str,
    /// The forward pass is the transposed gather (ConvTranspose2d).
    pub transposed: bool,
}

/// The op named `$name` (a string literal), labelled `$name`, "`$name` backward",
/// `$name`_backward_input and `$name`_backward_weight.
macro_rules! op {
    ($name:literal, transposed: $t:literal) => {
        Op {
            forward: $name,
            backward: concat!($name, " backward"),
            backward_input: concat!($name, "_backward_input"),
            backward_weight: concat!($name, "_backward_weight"),
            transposed: $t,
        }
    };
}
pub(super) use op;

/// One op's gathers. Public only so that [`GeneralConv`] can name it; nothing outside
/// `kernels::conv2d` can build or read one.
#[derive(Clone, Copy, Debug)]
pub struct GatherConv {
    pub(super) op: Op,
    /// x to y; transposed for ConvTranspose2d.
    pub(super) fwd: Gather,
    /// dy to dx, the other kind of gather (a strided conv's input gradient is the
    /// transposed conv of dy, and the other way round).
    pub(super) bwd: Gather,
    /// How each gather reads the weight tensor: [forward, backward-input].
    pub(super) modes: [WeightMode; 2],
    pub(super) wg: WeightGrad,
    /// The weight gradient reads x as g and dy as its input (ConvTranspose2d), rather than
    /// dy as g and x as its input (Conv2d).
    pub(super) x_is_g: bool,
}

impl GatherConv {
    fn new(op: Op, fwd: Gather) -> GatherConv {
        let x_is_g = fwd.transposed;
        let bwd = Gather {
            cin: fwd.cout,
            cout: fwd.cin,
            h: fwd.oh,
            w: fwd.ow,
            oh: fwd.h,
            ow: fwd.w,
            transposed: !fwd.transposed,
            ..fwd
        };
        // g is the tensor on the strided side: Conv2d's dy, ConvTranspose2d's x.
        let g = if x_is_g { &fwd } else { &bwd };
        let wg = WeightGrad {
            n: fwd.n,
            gc: g.cin,
            xc: g.cout,
            gh: g.h,
            gw: g.w,
            k: fwd.k,
            stride: fwd.stride,
        };
        let modes = if x_is_g {
            [WeightMode::Swapped, WeightMode::Forward]
        } else {
            [WeightMode::Forward, WeightMode::Swapped]
        };
        GatherConv {
            op,
            fwd,
            bwd,
            modes,
            wg,
            x_is_g,
        }
    }

    pub(super) fn lens(&self) -> Lens {
        let f = &self.fwd;
        Lens {
            x: f.n * f.cin * f.h * f.w,
            y: f.n * f.cout * f.oh * f.ow,
            w: f.cin * f.cout * f.k * f.k,
            b: f.cout,
        }
    }

    /// dx += the backward gather of packed dy, with w packed into `wt` first.
    pub(super) fn input_grad(
        &self,
        gpu: &Gpu,
        dyp: &PackedInput,
        wt: &PackedWeights,
        w: &GpuTensor,
        dx: &GpuTensor,
    ) -> Vec<Dispatch> {
        let mut out = vec![wt.pack(gpu, w)];
        let label = self.op.backward_input;
        out.extend(gather(
            gpu,
            label,
            &self.bwd,
            dyp,
            wt,
            Out::Accumulate,
            w,
            dx,
        ));
        out
    }

    /// dw and db (each where given) from packed x and dy.
    pub(super) fn weight_grads(
        &self,
        gpu: &Gpu,
        xp: &PackedInput,
        dyp: &PackedInput,
        dw: Option<&GpuTensor>,
        db: Option<&GpuTensor>,
    ) -> Vec<Dispatch> {
        let mut out = Vec::new();
        if let Some(dw) = dw {
            let (g, x) = if self.x_is_g { (xp, dyp) } else { (dyp, xp) };
            let label = self.op.backward_weight;
            out.extend(weight_grad(gpu, label, &self.wg, g, x, dw));
        }
        if let Some(db) = db {
            out.push(bias_grad(gpu, self.fwd.cout, dyp, db));
        }
        out
    }
}

/// A convolution of general geometry: its output size, its tensors' lengths and its
/// standalone backward launchers (packing included; the forward pass runs through a
/// [`GatherPlan`](super::GatherPlan)). x [n, cin, h, w], y [n, cout, oh, ow], b [cout]; the
/// weights [cout, cin, k, k] for Conv2d, [cin, cout, k, k] for ConvTranspose2d.
pub trait GeneralConv: Copy + Debug + 'static {
    const OP: Op;

    /// [n, cin, cout, h, w, k, stride, pad].
    fn dims(&self) -> [usize; 8];

    /// The output length along an axis of input length `len` (height and width follow
    /// the same formula; of a checked geometry).
    fn out_len(&self, len: usize) -> usize;

    /// The output height (of a checked geometry).
    fn out_h(&self) -> usize {
        self.out_len(self.dims()[3])
    }

    /// The output width (of a checked geometry).
    fn out_w(&self) -> usize {
        self.out_len(self.dims()[4])
    }

    /// Asserts the op's own conditions on the geometry, past those of every conv.
    fn check_op(&self, what: &str);

    /// The shape of the dedicated stride-1 kernels of `conv2d.wgsl`, where they apply.
    fn fast(&self) -> Option<Conv2dShape> {
        None
    }

    /// Asserts that the geometry is one the op supports.
    fn check(&self, what: &str) {
        let [n, cin, cout, h, w, k, stride, pad] = self.dims();
        assert!(
            n > 0 && cin > 0 && cout > 0 && h > 0 && w > 0,
            "{what}: every dimension must be positive: {self:?}"
        );
        assert!(
            k > 0 && stride > 0,
            "{what}: kernel size and stride must be positive: {self:?}"
        );
        assert!(
            pad < k,
            "{what}: padding {pad} must be under the kernel size {k}"
        );
        self.check_op(what);
    }

    /// The op's gathers (for this module's launchers).
    fn gathers(&self) -> GatherConv {
        let [n, cin, cout, h, w, k, stride, pad] = self.dims();
        let (oh, ow) = (self.out_h(), self.out_w());
        let fwd = Gather {
            n,
            cin,
            cout,
            h,
            w,
            oh,
            ow,
            k,
            stride,
            pad,
            transposed: Self::OP.transposed,
        };
        GatherConv::new(Self::OP, fwd)
    }

    fn x_len(&self) -> usize {
        self.gathers().lens().x
    }

    fn y_len(&self) -> usize {
        self.gathers().lens().y
    }

    fn w_len(&self) -> usize {
        self.gathers().lens().w
    }

    /// dx += the gradient of y with respect to x for dy.
    fn backward_input(
        &self,
        gpu: &Gpu,
        w: &GpuTensor,
        dy: &GpuTensor,
        dx: &GpuTensor,
    ) -> Vec<Dispatch> {
        let c = self.gathers();
        let what = c.op.backward_input;
        self.check(what);
        if let Some(f) = self.fast() {
            return super::conv2d_backward_input(gpu, &f, w, dy, dx);
        }
        let given = Given {
            w: Some(w),
            dy: Some(dy),
            dx: Some(dx),
            ..Given::default()
        };
        c.lens().check(what, self, given);
        let dyp = c.bwd.input(gpu);
        let wt = c.bwd.weights(gpu, c.modes[1]);
        let mut ds = vec![dyp.pack(gpu, dy)];
        ds.extend(c.input_grad(gpu, &dyp, &wt, w, dx));
        ds
    }

    /// dw += the weight gradient for x and dy, db += the sum of dy (if given).
    /// Deterministic: split partial sums, added in a fixed order.
    fn backward_weight(
        &self,
        gpu: &Gpu,
        x: &GpuTensor,
        dy: &GpuTensor,
        dw: &GpuTensor,
        db: Option<&GpuTensor>,
    ) -> Vec<Dispatch> {
        let c = self.gathers();
        let what = c.op.backward_weight;
        self.check(what);
        let given = Given {
            x: Some(x),
            dy: Some(dy),
            dw: Some(dw),
            db,
            ..Given::default()
        };
        c.lens().check(what, self, given);
        if let Some(f) = self.fast() {
            // The k = 3 / k = 1 weight pass always writes db: give it a scratch buffer.
            let scratch;
            let db = match db {
                Some(db) => db,
                None => {
                    scratch = gpu.zeros(&[f.cout]);
                    &scratch
                }
            };
            return super::conv2d_backward_weight(gpu, &f, x, dy, dw, db);
        }
        let xp = c.fwd.input(gpu);
        let dyp = c.bwd.input(gpu);
        let mut out = vec![xp.pack(gpu, x), dyp.pack(gpu, dy)];
        out.extend(c.weight_grads(gpu, &xp, &dyp, Some(dw), db));
        out
    }
}
