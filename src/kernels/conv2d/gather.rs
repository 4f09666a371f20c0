//! The launcher of `shaders/conv2d_geom.wgsl` (the strided gather) and
//! `shaders/conv_transpose2d.wgsl` (the transposed gather), which every convolution of
//! general geometry and its backward-input run as; both use `shaders/conv2d_geom_lib.wgsl`.

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

/// How a gather walks the taps: bodies of `r` kernel rows (`rchunks` of them per phase),
/// each row in blocks of `t` taps (`chunks` per row and phase); `r` and `t` name the entry
/// point, r<R>t<T>.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Bodies {
    r: usize,
    rchunks: usize,
    t: usize,
    chunks: usize,
}

impl Bodies {
    /// `rows` kernel rows of `taps` taps each, in bodies and blocks of at most 4.
    fn new(rows: usize, taps: usize) -> Bodies {
        if rows == 0 || taps == 0 {
            // a phase that meets no tap (stride over k): no iterations, the output is the bias
            return Bodies {
                r: 1,
                rchunks: 0,
                t: 1,
                chunks: 0,
            };
        }
        let (r, rchunks) = split4(rows);
        let (t, chunks) = split4(taps);
        Bodies {
            r,
            rchunks,
            t,
            chunks,
        }
    }

    fn rows(&self) -> usize {
        self.r * self.rchunks
    }

    fn taps(&self) -> usize {
        self.t * self.chunks
    }
}

/// n as (per chunk, chunks): chunks of at most 4, as even as they go.
fn split4(n: usize) -> (usize, usize) {
    let chunks = n.div_ceil(4);
    (n.div_ceil(chunks), chunks)
}

impl Gather {
    /// Kernel rows (or columns) that outputs of phase c = oh % s meet in the transposed
    /// gather: ry = (c + pad) % s, ry + s, ... below k.
    fn meets(&self, c: usize) -> usize {
        let r = (c + self.pad) % self.stride;
        if r < self.k {
            (self.k - 1 - r) / self.stride + 1
        } else {
            0
        }
    }

    /// One dispatch per entry in the list: its bodies and its output phases (oh % s) * s +
    /// ow % s. The strided gather has one phase, and every phase of a row its own taps
    /// (min(s, k) phases of ceil(k / s) taps; the later ones may have one zero tap fewer).
    /// The transposed gather groups its s*s phases by the rows and taps they meet, so no
    /// body has zero taps (and the seeds' k4 s2 is one dispatch, k3 s2 four).
    fn groups(&self) -> Vec<(Bodies, Vec<u32>)> {
        if !self.transposed {
            return vec![(Bodies::new(self.k, self.k.div_ceil(self.stride)), vec![0])];
        }
        let mut groups: Vec<(Bodies, Vec<u32>)> = Vec::new();
        for cy in 0..self.stride {
            for cx in 0..self.stride {
                let b = Bodies::new(self.meets(cy), self.meets(cx));
                let code = (cy * self.stride + cx) as u32;
                match groups.iter_mut().find(|g| g.0 == b) {
                    Some(g) => g.1.push(code),
                    None => groups.push((b, vec![code])),
                }
            }
        }
        groups
    }

    /// The most rows and taps a body walks (padded blocks included).
    fn reach(&self) -> (usize, usize) {
        let g = self.groups();
        let rows = g.iter().map(|(b, _)| b.rows()).max().unwrap_or(1).max(1);
        let taps = g.iter().map(|(b, _)| b.taps()).max().unwrap_or(1).max(1);
        (rows, taps)
    }

    /// The packed kernel, [kyp, kxp] >= [k, k]: blocks that reach past the kernel's edge
    /// read zeros there. Strided: tap kx0 + t*s of a row; transposed: row ry + a*s and tap
    /// rx + b*s, with ry, rx < s.
    fn padded(&self) -> [usize; 2] {
        let (rows, taps) = self.reach();
        let s = self.stride;
        let kyp = if self.transposed { s * rows } else { rows };
        [kyp.max(self.k), (s * taps).max(self.k)]
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
        let (rows, taps) = self.reach();
        Border {
            top: rows - 1,
            left: taps - 1,
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

crate::uniform! {
    struct GatherParams for conv2d_geom, conv_transpose2d {
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
        _align: [u32; 3],
        /// The output phases of this dispatch, one per workgroup layer (z).
        phase: [u32; 16],
    }
}

crate::bindings! {
    for conv2d_geom, conv_transpose2d {
        xt: texture_read_2d_array,
        wt: texture_read_2d,
        y: read_write,
        bias: read,
    }
}

/// The gather `g` on packed operands (x packed by `g.input`, w by `g.weights`): one
/// dispatch, or for the transposed gather one per group of output phases that meet the same
/// taps. `label` names the op it computes. `spare`: a buffer of at least g.cout floats that
/// these dispatches do not write, bound in the bias's place when there is no bias (the
/// layout is the shader's, which declares the bias).
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
) -> Vec<Dispatch> {
    let b = g.border();
    let xp = &x.params;
    assert!(
        (xp.top, xp.left) == (b.top as u32, b.left as u32)
            && xp.tile_h as usize == g.h + b.top + b.bottom
            && xp.tile_w as usize == g.w + b.left + b.right,
        "{label}: the input was packed for another geometry than {g:?}"
    );
    assert!(
        (g.n * g.cin * g.h * g.w).max(g.n * g.cout * g.oh * g.ow) < u32::MAX as usize,
        "{label}: tensors too large for u32 indexing ({g:?})"
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
    // The transposed gather tiles each phase's outputs (every s-th row and column).
    let step = if g.transposed { g.stride } else { 1 };
    let rows = g.oh.div_ceil(step);
    let blocks = g.ow.div_ceil(step).div_ceil(GATHER_PX);
    let total = g.n * rows * blocks;
    let gx = total.div_ceil(GATHER_WG);
    let gy = g.cout.div_ceil(CONV_CO);
    assert!(
        gx <= 65535 && gy <= 65535,
        "{label}: {g:?} needs a grid of {gx}x{gy} workgroups (max 65535)"
    );
    let [kyp, kxp] = g.padded();
    let shader = if g.transposed {
        id::conv_transpose2d
    } else {
        id::conv2d_geom
    };
    let binds = [
        Bind::Texture(&x.view),
        Bind::Texture(&w.view),
        Bind::Tensor(y),
        Bind::Tensor(bias),
    ];
    let groups = g.groups();
    groups
        .iter()
        .map(|(bodies, phases)| {
            let mut phase = [0u32; 16];
            phase[..phases.len()].copy_from_slice(phases);
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
                chunks: bodies.chunks as u32,
                rchunks: bodies.rchunks as u32,
                out: match out {
                    Out::Bias(_) => 0,
                    Out::Overwrite => 1,
                    Out::Accumulate => 2,
                },
                _align: [0; 3],
                phase,
            };
            let entry = format!("r{}t{}", bodies.r, bodies.t);
            let groups = [gx as u32, gy as u32, phases.len() as u32];
            gpu.dispatch_bound(label, shader, &entry, &p, &binds, groups)
        })
        .collect()
}
