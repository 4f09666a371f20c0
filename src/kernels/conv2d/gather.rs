//! The launcher of `shaders/conv2d_geom.wgsl` (the strided gather) and
//! `shaders/conv_transpose2d.wgsl` (the transposed gather), which every convolution of
//! general geometry and its backward-input run as; both use `shaders/conv2d_geom_lib.wgsl`.

use bytemuck::{Pod, Zeroable};

use super::{Border, PackedInput, PackedWeights, WeightMode, CONV_CO};
use crate::gpu::{id, Bind, Dispatch, Gpu, GpuTensor};

/// Pixels per invocation and invocations per workgroup of `conv2d_geom_lib.wgsl` (`P`, `WGS`).
const GATHER_PX: usize = 7;
const GATHER_WG: usize = 32;

/// One gather: `cin` channels of `h` x `w` in, `cout` channels of `oh` x `ow` out.
#[derive(Clone, Copy, Debug)]
pub(super) struct Gather {
    pub n: usize,
    pub cin: usize,
    pub cout: usize,
    pub h: usize,
    pub w: usize,
    pub oh: usize,
    pub ow: usize,
    pub k: usize,
    pub stride: usize,
    pub pad: usize,
    /// The transposed gather (ConvTranspose2d) rather than the strided one (Conv2d).
    pub transposed: bool,
}

/// What the gather does with its sums (`OUT_*` in the shader).
pub(super) enum Out<'a> {
    /// y = conv + b
    Bias(&'a GpuTensor),
    /// y = conv
    Overwrite,
    /// y += conv
    Accumulate,
}

impl Gather {
    /// Taps per block (the entry point's T) and blocks per kernel row and phase: a phase
    /// meets at most ceil(k / s) taps of a row, in blocks of at most 4.
    fn cols(&self) -> (usize, usize) {
        split4(self.k.div_ceil(self.stride))
    }

    /// Rows per body (the entry point's R) and bodies per phase: all k kernel rows for the
    /// strided gather, at most ceil(k / s) for the transposed one.
    fn rows(&self) -> (usize, usize) {
        if self.transposed {
            split4(self.k.div_ceil(self.stride))
        } else {
            split4(self.k)
        }
    }

    /// The packed kernel, [kyp, kxp] >= [k, k]: the bodies reach past the kernel's edge
    /// onto zeros.
    fn padded(&self) -> [usize; 2] {
        let ((r, rc), (t, c)) = (self.rows(), self.cols());
        let kyp = if self.transposed {
            self.stride * r * rc
        } else {
            r * rc
        };
        [kyp, self.stride * t * c]
    }

    /// The border the input texture needs: the padding for the strided gather; for the
    /// transposed one, room for the taps that reach above/left of the image (all the
    /// bodies' taps, the zero-weight ones included) and for the input rows/columns past
    /// its end that the last outputs ask for.
    pub fn border(&self) -> Border {
        if !self.transposed {
            return Border::even(self.pad);
        }
        let (s, p) = (self.stride, self.pad);
        let ((r, rc), (t, c)) = (self.rows(), self.cols());
        Border {
            top: r * rc - 1,
            left: t * c - 1,
            bottom: ((self.oh - 1 + p) / s + 1).saturating_sub(self.h),
            right: ((self.ow - 1 + p) / s + 1).saturating_sub(self.w),
        }
    }

    /// The input's texture, with the border this gather reads.
    pub fn input(&self, gpu: &Gpu) -> PackedInput {
        PackedInput::with_border(gpu, self.n, self.cin, self.h, self.w, self.border())
    }

    /// The weights' texture, rows padded as this gather reads them; `mode` as the weight
    /// tensor is laid out.
    pub fn weights(&self, gpu: &Gpu, mode: WeightMode) -> PackedWeights {
        PackedWeights::padded(gpu, self.cout, self.cin, self.k, self.padded(), mode)
    }
}

/// n taps as (per block, blocks): blocks of at most 4, as even as they go.
fn split4(n: usize) -> (usize, usize) {
    let chunks = n.div_ceil(4);
    (n.div_ceil(chunks), chunks)
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GatherParams {
    n: u32,
    cin4: u32,
    cout: u32,
    oh: u32,
    ow: u32,
    k: u32,
    s: u32,
    pad: u32,
    tile_w: u32,
    tile_h: u32,
    npl: u32,
    top: u32,
    left: u32,
    rows: u32,
    blocks: u32,
    total: u32,
    kxp: u32,
    kyp: u32,
    chunks: u32,
    rchunks: u32,
    out: u32,
}

/// The gather `g` on packed operands (x packed by `g.input`, w by `g.weights`); `label`
/// names the op it computes. `spare`: a buffer of at least g.cout floats that this dispatch
/// does not write, bound in the bias's place when there is no bias (the layout is the
/// shader's, which declares the bias).
#[allow(clippy::too_many_arguments)]
pub(super) fn gather(
    gpu: &Gpu,
    label: &'static str,
    g: &Gather,
    x: &PackedInput,
    w: &PackedWeights,
    out: Out,
    spare: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    let b = g.border();
    let xp = &x.params;
    assert!(
        (xp.top, xp.left) == (b.top as u32, b.left as u32)
            && xp.tile_h as usize == g.h + b.top + b.bottom
            && xp.tile_w as usize == g.w + b.left + b.right,
        "conv2d_geom: the input was packed for another geometry than {g:?}"
    );
    assert!(
        (g.n * g.cin * g.h * g.w).max(g.n * g.cout * g.oh * g.ow) < u32::MAX as usize,
        "conv2d_geom: tensors too large for u32 indexing ({g:?})"
    );
    // The transposed gather groups outputs by phase (oh % s, ow % s): one phase per
    // workgroup layer.
    let (phases, step) = if g.transposed {
        (g.stride * g.stride, g.stride)
    } else {
        (1, 1)
    };
    let ((r, rchunks), (t, chunks)) = (g.rows(), g.cols());
    let [kyp, kxp] = g.padded();
    let rows = g.oh.div_ceil(step);
    let blocks = g.ow.div_ceil(step).div_ceil(GATHER_PX);
    let total = g.n * rows * blocks;
    let p = GatherParams {
        n: g.n as u32,
        cin4: g.cin.div_ceil(4) as u32,
        cout: g.cout as u32,
        oh: g.oh as u32,
        ow: g.ow as u32,
        k: g.k as u32,
        s: g.stride as u32,
        pad: g.pad as u32,
        tile_w: xp.tile_w,
        tile_h: xp.tile_h,
        npl: xp.npl,
        top: xp.top,
        left: xp.left,
        rows: rows as u32,
        blocks: blocks as u32,
        total: total as u32,
        kxp: kxp as u32,
        kyp: kyp as u32,
        chunks: chunks as u32,
        rchunks: rchunks as u32,
        out: match out {
            Out::Bias(_) => 0,
            Out::Overwrite => 1,
            Out::Accumulate => 2,
        },
    };
    let gx = total.div_ceil(GATHER_WG);
    let gy = g.cout.div_ceil(CONV_CO);
    assert!(
        gx <= 65535 && gy <= 65535,
        "conv2d_geom: {g:?} needs a grid of {gx}x{gy} workgroups (max 65535)"
    );
    let bias = match out {
        Out::Bias(b) => {
            assert_eq!(
                b.len(),
                g.cout,
                "{label}: bias has {} elements, {} output channels need {}",
                b.len(),
                g.cout,
                g.cout
            );
            b
        }
        _ => {
            assert!(
                spare.len() >= g.cout && !spare.overlaps(y),
                "{label}: the spare buffer must hold {} floats and not overlap y",
                g.cout
            );
            spare
        }
    };
    let shader = if g.transposed {
        id::conv_transpose2d
    } else {
        id::conv2d_geom
    };
    let entry = format!("r{r}t{t}");
    let binds = [
        Bind::Texture(&x.view),
        Bind::Texture(&w.view),
        Bind::Tensor(y),
        Bind::Tensor(bias),
    ];
    gpu.dispatch_bound(
        label,
        shader,
        &entry,
        &p,
        &binds,
        [gx as u32, gy as u32, phases as u32],
    )
}
