//! The launcher of `shaders/conv2d_geom.wgsl`: the strided and the transposed gather that
//! every convolution of general geometry (and its backward-input) runs as.

use bytemuck::{Pod, Zeroable};

use super::{Border, PackedInput, PackedWeights, CONV_CO};
use crate::gpu::{id, Bind, Dispatch, Gpu, GpuTensor};

/// Pixels per invocation and invocations per workgroup of `conv2d_geom.wgsl` (`P`, `WGS`).
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

/// What the gather does with its sums.
pub(super) enum Out<'a> {
    /// y = conv + b
    Bias(&'a GpuTensor),
    /// y = conv
    Overwrite,
    /// y += conv
    Accumulate,
}

impl Gather {
    /// The border the input texture needs: the padding for the strided gather; for the
    /// transposed one, room for the taps that reach above/left of the image and for the
    /// input rows/columns past its end that the last outputs ask for.
    pub fn border(&self) -> Border {
        if !self.transposed {
            return Border::even(self.pad);
        }
        let (s, p) = (self.stride, self.pad);
        let before = (self.k - 1) / s;
        Border {
            top: before,
            left: before,
            bottom: ((self.oh - 1 + p) / s + 1).saturating_sub(self.h),
            right: ((self.ow - 1 + p) / s + 1).saturating_sub(self.w),
        }
    }

    /// The input's texture, with the border this gather reads.
    pub fn input(&self, gpu: &Gpu) -> PackedInput {
        PackedInput::with_border(gpu, self.n, self.cin, self.h, self.w, self.border())
    }
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
}

/// The gather `g` on packed operands (x packed by `g.input`, w for a conv from g.cin to
/// g.cout channels); `label` names the op it computes.
pub(super) fn gather(
    gpu: &Gpu,
    label: &'static str,
    g: &Gather,
    x: &PackedInput,
    w: &PackedWeights,
    out: Out,
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
    };
    let gx = total.div_ceil(GATHER_WG);
    let gy = g.cout.div_ceil(CONV_CO);
    assert!(
        gx <= 65535 && gy <= 65535,
        "conv2d_geom: {g:?} needs a grid of {gx}x{gy} workgroups (max 65535)"
    );
    let mode = if g.transposed {
        "transposed"
    } else {
        "strided"
    };
    let mut binds = vec![
        Bind::Texture(&x.view),
        Bind::Texture(&w.view),
        Bind::Tensor(y),
    ];
    let entry = match out {
        Out::Bias(b) => {
            assert_eq!(
                b.len(),
                g.cout,
                "conv2d_geom: bias has {} elements, {} output channels need {}",
                b.len(),
                g.cout,
                g.cout
            );
            binds.push(Bind::Tensor(b));
            format!("{mode}_bias")
        }
        Out::Overwrite => mode.to_string(),
        Out::Accumulate => format!("{mode}_accumulate"),
    };
    gpu.dispatch_bound(
        label,
        id::conv2d_geom,
        &entry,
        &p,
        &binds,
        [gx as u32, gy as u32, phases as u32],
    )
}
