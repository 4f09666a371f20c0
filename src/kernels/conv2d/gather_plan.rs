//! One general-geometry conv layer's textures, made once when the layer is recorded (as
//! [`ConvPlan`], which the stride-1 k = 3 / k = 1 geometries of Conv2d use).

use super::checks::Given;
use super::gather::{gather, Out};
use super::general::{GatherConv, GeneralConv};
use super::{ConvPlan, PackedInput, PackedWeights};
use crate::gpu::{Dispatch, Gpu, GpuTensor};

/// The plan of a [`GeneralConv`]: [`StridedConvPlan`](super::StridedConvPlan) for Conv2d,
/// [`ConvTransposePlan`](super::ConvTransposePlan) for ConvTranspose2d.
pub struct GatherPlan<S> {
    pub s: S,
    c: GatherConv,
    path: Path,
}

enum Path {
    Fast(ConvPlan),
    Gather {
        x: PackedInput,
        w: PackedWeights,
        /// Training: dy packed for the backward gather, also read by the weight gradient.
        dy: Option<PackedInput>,
        wt: Option<PackedWeights>,
    },
}

impl<S: GeneralConv> GatherPlan<S> {
    pub fn new(gpu: &Gpu, s: &S, train: bool) -> GatherPlan<S> {
        let c = s.gathers();
        s.check(c.op.forward);
        let path = match s.fast() {
            Some(f) => Path::Fast(ConvPlan::new(gpu, &f, train)),
            None => Path::Gather {
                x: c.fwd.input(gpu),
                w: c.fwd.weights(gpu, c.modes[0]),
                dy: train.then(|| c.bwd.input(gpu)),
                wt: train.then(|| c.bwd.weights(gpu, c.modes[1])),
            },
        };
        GatherPlan { s: *s, c, path }
    }

    /// y = conv(x, w) (+ b).
    pub fn forward(
        &self,
        gpu: &Gpu,
        x: &GpuTensor,
        w: &GpuTensor,
        b: Option<&GpuTensor>,
        y: &GpuTensor,
    ) -> Vec<Dispatch> {
        let what = self.c.op.forward;
        let given = Given {
            x: Some(x),
            w: Some(w),
            b,
            y: Some(y),
            ..Given::default()
        };
        self.c.lens().check(what, &self.s, given);
        match &self.path {
            Path::Fast(plan) => match b {
                Some(b) => plan.forward(gpu, x, w, b, y),
                // The k = 3 / k = 1 kernels always add a bias: give them zeros.
                None => plan.forward(gpu, x, w, &gpu.zeros(&[self.c.fwd.cout]), y),
            },
            Path::Gather { x: xp, w: wp, .. } => {
                let out = b.map_or(Out::Overwrite, Out::Bias);
                let mut ds = vec![xp.pack(gpu, x), wp.pack(gpu, w)];
                ds.extend(gather(gpu, what, &self.c.fwd, xp, wp, out, w, y));
                ds
            }
        }
    }

    /// dx += the input gradient, dw += the weight gradient, db += sum dy, each only where
    /// given. Reads x as the forward pass packed it: record after `forward`, with x unchanged.
    pub fn backward(
        &self,
        gpu: &Gpu,
        w: &GpuTensor,
        dy: &GpuTensor,
        dx: Option<&GpuTensor>,
        dw: Option<&GpuTensor>,
        db: Option<&GpuTensor>,
    ) -> Vec<Dispatch> {
        let what = self.c.op.backward;
        let given = Given::backward(w, dy, dx, dw, db);
        self.c.lens().check(what, &self.s, given);
        let (x, dyp, wt) = match &self.path {
            Path::Fast(plan) => return plan.backward(gpu, w, dy, dx, dw, db),
            Path::Gather {
                x,
                dy: Some(d),
                wt: Some(t),
                ..
            } => (x, d, t),
            Path::Gather { .. } => panic!("{what}: the plan was made without training textures"),
        };
        let mut out = vec![dyp.pack(gpu, dy)];
        if let Some(dx) = dx {
            out.extend(self.c.input_grad(gpu, dyp, wt, w, dx));
        }
        out.extend(self.c.weight_grads(gpu, x, dyp, dw, db));
        out
    }
}
