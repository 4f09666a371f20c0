//! 2-D convolution. The dedicated kernels below: stride 1, padding k/2, k = 3 or 1, with
//! bias; weights OIHW as PyTorch. Any other geometry (k, stride, padding, no bias) and
//! ConvTranspose2d: [`Conv2dGeom`] (`geometry`) and [`ConvTranspose2dShape`] (`transpose`),
//! both a [`GeneralConv`] run by a [`GatherPlan`] (`general`, `gather_plan`), with the shaders
//! `conv2d_geom.wgsl`, `conv_transpose2d.wgsl` (on `conv2d_geom_lib.wgsl`),
//! `conv2d_geom_backward_weight*.wgsl` and `conv2d_geom_bias_backward.wgsl`; the general API
//! routes the geometries above back to the dedicated kernels.
//! Shaders of the dedicated kernels: `shaders/conv2d_pack_input.wgsl` and `shaders/conv2d_pack_weight.wgsl` (buffers
//! into the textures the kernels read), `shaders/conv2d.wgsl` (forward, and backward-input as
//! the same convolution with transposed weights), `shaders/conv2d_backward_weight.wgsl` +
//! `shaders/conv2d_backward_weight_reduce.wgsl`. Two edge shapes read the NCHW buffers and
//! pack nothing: a 1x1 conv to at most 4 output channels (the output conv: `narrow`,
//! `shaders/conv2d_narrow*.wgsl`) and a 3x3 conv from at most 4 input channels (the first
//! conv: `thin`, `shaders/conv2d_thin*.wgsl`, forward and weight gradient).
//! `conv2d_backward_input_sum` (`input_sum`) gives the input gradient's per-image pixel sum
//! without the gradient itself.
//!
//! Activations stay NCHW buffers; each packed conv packs its input into a texture first. The packing
//! passes cost about a tenth of a training step, far less than the texture reads save (the
//! convs run 2-5x faster than the buffer-reading kernels they replaced; see BENCHMARKS.md).
//! A `ConvPlan` owns one layer's textures so that the backward pass reuses what the forward
//! pass packed.

use crate::gpu::{id, Bind, Dispatch, Gpu, GpuTensor};

mod backward_weight;
mod checks;
mod gather;
mod gather_plan;
mod general;
mod geom_weight;
mod geometry;
mod input_sum;
mod narrow;
mod pack;
mod reference;
mod reference_geom;
mod standalone;
mod thin;
mod transpose;

use backward_weight::backward_weight_packed;
use checks::{Given, Lens};
pub use gather_plan::GatherPlan;
pub use general::GeneralConv;
pub use geometry::{Conv2dGeom, StridedConvPlan};
pub use input_sum::{conv2d_backward_input_sum, conv2d_backward_input_sum_cpu};
pub use pack::{Border, PackSource, PackedInput, PackedWeights, WeightMode};
pub use reference::{conv2d_backward_cpu, conv2d_cpu};
pub use reference_geom::{
    conv2d_geom_backward_cpu, conv2d_geom_cpu, conv_transpose2d_backward_cpu, conv_transpose2d_cpu,
};
pub use standalone::{conv2d, conv2d_backward_input, conv2d_backward_weight};
pub use transpose::{ConvTranspose2dShape, ConvTransposePlan};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dShape {
    pub n: usize,
    pub cin: usize,
    pub cout: usize,
    pub h: usize,
    pub w: usize,
    pub k: usize,
}

impl Conv2dShape {
    /// Multiply-adds count twice: 2*N*Cout*H*W*Cin*k*k.
    pub fn flops(&self) -> f64 {
        2.0 * (self.n * self.cout * self.h * self.w * self.cin * self.k * self.k) as f64
    }

    fn lens(&self) -> Lens {
        Lens {
            x: self.n * self.cin * self.h * self.w,
            y: self.n * self.cout * self.h * self.w,
            w: self.cout * self.cin * self.k * self.k,
            b: self.cout,
        }
    }

    fn check(&self, what: &str) {
        assert!(
            self.k == 3 || self.k == 1,
            "{what}: kernel size must be 3 or 1, got {}",
            self.k
        );
        assert!(
            self.n > 0 && self.cin > 0 && self.cout > 0 && self.h > 0 && self.w > 0,
            "{what}: every dimension must be positive: {self:?}"
        );
    }

    /// The same convolution seen from backward-input: dy (cout channels) to dx (cin).
    fn transposed(&self) -> Conv2dShape {
        Conv2dShape {
            cin: self.cout,
            cout: self.cin,
            ..*self
        }
    }
}

/// Pixels per invocation and invocations per workgroup of `conv2d.wgsl` (`P`, `WGS` there).
const CONV_PX: usize = 7;
const CONV_WG: usize = 32;
/// Output channels per invocation of `conv2d.wgsl` (two vec4 halves).
pub(crate) const CONV_CO: usize = 8;

pub(crate) fn groups_1d(what: &str, invocations: usize, wg: usize) -> [u32; 3] {
    let g = invocations.div_ceil(wg).max(1);
    assert!(
        g <= 65535 * 65535,
        "{what}: {invocations} invocations is too many"
    );
    if g <= 65535 {
        [g as u32, 1, 1]
    } else {
        [65535, g.div_ceil(65535) as u32, 1]
    }
}

crate::uniform! {
    struct ConvParams for conv2d {
        n: u32,
        cin4: u32,
        cout: u32,
        h: u32,
        w: u32,
        tiles_w: u32,
        total: u32,
        npl: u32,
    }
}

crate::bindings! {
    for conv2d {
        forward_k1, forward_k3 => {
            xt: texture_read_2d_array,
            wt: texture_read_2d,
            y: read_write,
            bias: read,
        }
        accumulate_k1, accumulate_k3 => { xt: texture_read_2d_array, wt: texture_read_2d, y: read_write }
    }
}

/// The conv kernel on packed operands: y = conv + b, or y += conv if `b` is None.
fn conv_packed(
    gpu: &Gpu,
    s: &Conv2dShape,
    x: &PackedInput,
    w: &PackedWeights,
    b: Option<&GpuTensor>,
    y: &GpuTensor,
) -> Dispatch {
    let tiles_w = s.w.div_ceil(CONV_PX);
    let total = s.n * s.h * tiles_w;
    assert!(
        s.lens().x.max(s.lens().y) < u32::MAX as usize,
        "conv2d: tensors too large for u32 indexing"
    );
    let p = ConvParams {
        n: s.n as u32,
        cin4: s.cin.div_ceil(4) as u32,
        cout: s.cout as u32,
        h: s.h as u32,
        w: s.w as u32,
        tiles_w: tiles_w as u32,
        total: total as u32,
        npl: x.params.npl,
    };
    let gx = total.div_ceil(CONV_WG);
    let gy = s.cout.div_ceil(CONV_CO);
    assert!(
        gx <= 65535 && gy <= 65535,
        "conv2d: shape {s:?} needs a grid of {gx}x{gy} workgroups (max 65535)"
    );
    let k = if s.k == 3 { "k3" } else { "k1" };
    let mut binds = vec![
        Bind::Texture(&x.view),
        Bind::Texture(&w.view),
        Bind::Tensor(y),
    ];
    let entry = match b {
        Some(b) => {
            binds.push(Bind::Tensor(b));
            format!("forward_{k}")
        }
        None => format!("accumulate_{k}"),
    };
    let label = if b.is_some() {
        "conv2d"
    } else {
        "conv2d_backward_input"
    };
    gpu.dispatch_bound(
        label,
        id::conv2d,
        &entry,
        &p,
        &binds,
        [gx as u32, gy as u32, 1],
    )
}

/// One conv layer's plan, made once when the layer is recorded: the narrow (k = 1) or thin
/// (k = 3) kernels where they apply (they read the input buffers themselves, kept here for
/// the weight gradient), else its textures: the packed input (kept from the forward pass for
/// the weight gradient), the packed weights, and in training the packed dy and the
/// transposed weights of backward-input.
pub struct ConvPlan {
    pub s: Conv2dShape,
    path: Path,
}

// One plan per layer, made once: the size difference of the variants costs nothing.
#[allow(clippy::large_enum_variant)]
enum Path {
    /// The input is x, or x + v broadcast over the pixels.
    Direct {
        x: GpuTensor,
        v: Option<GpuTensor>,
    },
    Packed(Packed),
}

struct Packed {
    x: PackedInput,
    w: PackedWeights,
    dy: Option<PackedInput>,
    wt: Option<PackedWeights>,
}

impl ConvPlan {
    /// The plan on the packed kernels, for any input (`forward_from` packs fused sources).
    pub fn new(gpu: &Gpu, s: &Conv2dShape, train: bool) -> ConvPlan {
        s.check("conv2d");
        let path = Path::Packed(Packed {
            x: PackedInput::new(gpu, s.n, s.cin, s.h, s.w),
            w: PackedWeights::new(gpu, s, false),
            dy: train.then(|| PackedInput::new(gpu, s.n, s.cout, s.h, s.w)),
            wt: train.then(|| PackedWeights::new(gpu, s, true)),
        });
        ConvPlan { s: *s, path }
    }

    /// The plan for a conv of the tensor `x`: see `for_source`.
    pub fn for_input(gpu: &Gpu, s: &Conv2dShape, x: &GpuTensor, train: bool) -> ConvPlan {
        ConvPlan::for_source(gpu, s, PackSource::Plain(x), train)
    }

    /// The plan for a conv of `src`: the narrow kernels for x itself, the thin ones for x or
    /// x + v, where they apply (`forward_from` must then be given this `src`), else `new`'s.
    pub fn for_source(gpu: &Gpu, s: &Conv2dShape, src: PackSource, train: bool) -> ConvPlan {
        s.check("conv2d");
        let path = match src {
            PackSource::Plain(x) if narrow::applies(s) || thin::applies(s) => Path::Direct {
                x: x.clone(),
                v: None,
            },
            PackSource::Add { x, v } if thin::applies(s) => Path::Direct {
                x: x.clone(),
                v: Some(v.clone()),
            },
            _ => return ConvPlan::new(gpu, s, train),
        };
        ConvPlan { s: *s, path }
    }

    /// y = conv(x, w) + b (overwrites y). x [n,cin,h,w], w [cout,cin,k,k], b [cout], y [n,cout,h,w]
    pub fn forward(
        &self,
        gpu: &Gpu,
        x: &GpuTensor,
        w: &GpuTensor,
        b: &GpuTensor,
        y: &GpuTensor,
    ) -> Vec<Dispatch> {
        let given = Given {
            x: Some(x),
            y: Some(y),
            ..Given::default()
        };
        self.s.lens().check("conv2d", &self.s, given);
        self.forward_from(gpu, PackSource::Plain(x), w, b, y)
    }

    /// y = conv(input) + b with the input packed from `src` (fused add / concat-and-add;
    /// those need a plan made by `packed`).
    pub fn forward_from(
        &self,
        gpu: &Gpu,
        src: PackSource,
        w: &GpuTensor,
        b: &GpuTensor,
        y: &GpuTensor,
    ) -> Vec<Dispatch> {
        let (what, s) = ("conv2d", &self.s);
        let given = Given {
            w: Some(w),
            b: Some(b),
            y: Some(y),
            ..Given::default()
        };
        s.lens().check(what, s, given);
        let (xp, wp) = match &self.path {
            Path::Packed(pk) => (&pk.x, &pk.w),
            Path::Direct { x, v } => {
                let same = match (src, v) {
                    (PackSource::Plain(a), None) => a.same_view(x),
                    (PackSource::Add { x: a, v: b }, Some(v)) => a.same_view(x) && b.same_view(v),
                    _ => false,
                };
                assert!(same, "{what}: this plan reads the input it was made for");
                return vec![match s.k {
                    1 => narrow::forward(gpu, s, x, w, b, y),
                    _ => thin::forward(gpu, s, x, v.as_ref(), w, b, y),
                }];
            }
        };
        vec![
            xp.pack_from(gpu, src),
            wp.pack(gpu, w),
            conv_packed(gpu, s, xp, wp, Some(b), y),
        ]
    }

    /// dx += conv_transpose(dy, w), dw += sum dy * x-patch, db += sum dy, each only where
    /// given. Reads x as the forward pass packed it (the narrow kernels: x itself): record
    /// after `forward`, with x unchanged.
    pub fn backward(
        &self,
        gpu: &Gpu,
        w: &GpuTensor,
        dy: &GpuTensor,
        dx: Option<&GpuTensor>,
        dw: Option<&GpuTensor>,
        db: Option<&GpuTensor>,
    ) -> Vec<Dispatch> {
        let (what, s) = ("conv2d backward", &self.s);
        let given = Given::backward(w, dy, dx, dw, db);
        s.lens().check(what, s, given);
        // The weight passes write dw and db together; a missing one gets a scratch buffer
        // that nothing reads.
        let wanted = dw.is_some() || db.is_some();
        let scratch = |t: Option<&GpuTensor>, len| t.cloned().unwrap_or_else(|| gpu.zeros(&[len]));
        let (dw, db) = (scratch(dw, s.lens().w), scratch(db, s.cout));
        let (xp, dyp, wt) = match &self.path {
            Path::Packed(pk) => match (&pk.dy, &pk.wt) {
                (Some(d), Some(t)) => (&pk.x, d, t),
                _ => panic!("{what}: the plan was made without training textures"),
            },
            Path::Direct { x, v } => {
                let mut out = Vec::new();
                if let Some(dx) = dx {
                    match s.k {
                        1 => out.push(narrow::input(gpu, s, w, dy, dx)),
                        _ => out.extend(conv2d_backward_input(gpu, s, w, dy, dx)),
                    }
                }
                if wanted {
                    out.extend(match s.k {
                        1 => narrow::weight(gpu, s, x, dy, &dw, &db),
                        _ => thin::weight(gpu, s, x, v.as_ref(), dy, &dw, &db),
                    });
                }
                return out;
            }
        };
        let mut out = vec![dyp.pack(gpu, dy)];
        if let Some(dx) = dx {
            out.push(wt.pack(gpu, w));
            out.push(conv_packed(gpu, &s.transposed(), dyp, wt, None, dx));
        }
        if wanted {
            out.extend(backward_weight_packed(gpu, s, xp, dyp, &dw, &db));
        }
        out
    }
}
