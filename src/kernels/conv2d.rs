//! 2-D convolution, stride 1, padding k/2, k = 3 or 1, with bias; weights OIHW as PyTorch.
//! Shaders: `shaders/conv2d.wgsl`, `shaders/conv2d_backward_input.wgsl`,
//! `shaders/conv2d_backward_weight.wgsl` + `shaders/conv2d_backward_weight_reduce.wgsl`.
//!
//! Speed note (lavapipe, 2 busy cores): the 4x4 register tile runs at ~0.4-0.7 GFLOP/s. Replacing
//! the weight loads with constants made it ~3x faster, so per-lane weight loads dominate; staging
//! weights in workgroup memory (16 input channels at a time) did not help in a quick trial.

use bytemuck::{Pod, Zeroable};

use crate::gpu::{grid_1d, Dispatch, Gpu, GpuTensor};

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

    fn x_len(&self) -> usize {
        self.n * self.cin * self.h * self.w
    }

    fn y_len(&self) -> usize {
        self.n * self.cout * self.h * self.w
    }

    fn w_len(&self) -> usize {
        self.cout * self.cin * self.k * self.k
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

    fn entry(&self) -> &'static str {
        if self.k == 3 {
            "main_k3"
        } else {
            "main_k1"
        }
    }
}

#[track_caller]
fn expect_len(what: &str, name: &str, t: &GpuTensor, want: usize, s: &Conv2dShape) {
    assert_eq!(
        t.len(),
        want,
        "{what}: {name} has {} elements, shape {s:?} needs {want}",
        t.len()
    );
}

/// Output channels (or input channels for backward_input) per invocation, and invocations
/// per workgroup of the tiled kernels: must match the WGSL.
const TILE_C: usize = 4;
const TILE_PX: usize = 4;
const TILE_INV: usize = 64;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct TileParams {
    n: u32,
    cin: u32,
    cout: u32,
    h: u32,
    w: u32,
    tiles_w: u32,
    tiles: u32,
    total: u32,
}

/// Params and grid of the pixel-tiled kernels; `channels` is the channel count being tiled.
fn tile_launch(what: &str, s: &Conv2dShape, channels: usize) -> (TileParams, [u32; 3]) {
    let (tiles_w, tiles) = if s.k == 3 {
        let tw = s.w.div_ceil(TILE_PX);
        (tw, tw * s.h)
    } else {
        (0, (s.h * s.w).div_ceil(TILE_PX))
    };
    let total = s.n * tiles;
    let gx = total.div_ceil(TILE_INV);
    let gy = channels.div_ceil(TILE_C);
    assert!(
        gx <= 65535 && gy <= 65535,
        "{what}: shape {s:?} needs a grid of {gx}x{gy} workgroups (max 65535)"
    );
    assert!(
        s.x_len().max(s.y_len()) < u32::MAX as usize,
        "{what}: tensors too large for u32 indexing"
    );
    let p = TileParams {
        n: s.n as u32,
        cin: s.cin as u32,
        cout: s.cout as u32,
        h: s.h as u32,
        w: s.w as u32,
        tiles_w: tiles_w as u32,
        tiles: tiles as u32,
        total: total as u32,
    };
    (p, [gx as u32, gy as u32, 1])
}

/// y = conv(x, w) + b   (overwrites y). x [n,cin,h,w], w [cout,cin,k,k], b [cout], y [n,cout,h,w]
pub fn conv2d(
    gpu: &Gpu,
    s: &Conv2dShape,
    x: &GpuTensor,
    w: &GpuTensor,
    b: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    let what = "conv2d";
    s.check(what);
    expect_len(what, "x", x, s.x_len(), s);
    expect_len(what, "w", w, s.w_len(), s);
    expect_len(what, "b", b, s.cout, s);
    expect_len(what, "y", y, s.y_len(), s);
    assert!(!y.overlaps(x), "{what}: y must not overlap x");
    let (p, groups) = tile_launch(what, s, s.cout);
    gpu.dispatch("conv2d", "conv2d", s.entry(), &p, &[x, w, b, y], groups)
}

/// dx += conv_transpose(dy, w)
pub fn conv2d_backward_input(
    gpu: &Gpu,
    s: &Conv2dShape,
    w: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
) -> Dispatch {
    let what = "conv2d_backward_input";
    s.check(what);
    expect_len(what, "w", w, s.w_len(), s);
    expect_len(what, "dy", dy, s.y_len(), s);
    expect_len(what, "dx", dx, s.x_len(), s);
    assert!(!dx.overlaps(dy), "{what}: dx must not overlap dy");
    let (p, groups) = tile_launch(what, s, s.cin);
    gpu.dispatch(
        "conv2d_backward_input",
        "conv2d_backward_input",
        s.entry(),
        &p,
        &[w, dy, dx],
        groups,
    )
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct WeightParams {
    n: u32,
    cin: u32,
    cout: u32,
    h: u32,
    w: u32,
    splits: u32,
    rows: u32,
    nw: u32,
    blocks_in: u32,
    blocks_out: u32,
}

/// Rows (of N*H) per split of the weight-gradient reduction: about 4 rows per chunk, but at
/// most ~4M partial weights in the scratch buffer.
fn weight_splits(s: &Conv2dShape) -> (usize, usize) {
    let rows_total = s.n * s.h;
    let cap = (4usize << 20) / s.w_len();
    let want = rows_total.div_ceil(4).clamp(1, 1024).min(cap.max(1));
    let rows = rows_total.div_ceil(want);
    (rows_total.div_ceil(rows), rows)
}

/// dw += sum_{n,h,w} dy * x-patch ; db += sum_{n,h,w} dy. Deterministic split reduction over N*H*W
/// (partials into scratch buffers allocated here, then a fixed-order second pass), no atomics.
pub fn conv2d_backward_weight(
    gpu: &Gpu,
    s: &Conv2dShape,
    x: &GpuTensor,
    dy: &GpuTensor,
    dw: &GpuTensor,
    db: &GpuTensor,
) -> Vec<Dispatch> {
    let what = "conv2d_backward_weight";
    s.check(what);
    expect_len(what, "x", x, s.x_len(), s);
    expect_len(what, "dy", dy, s.y_len(), s);
    expect_len(what, "dw", dw, s.w_len(), s);
    expect_len(what, "db", db, s.cout, s);
    assert!(
        s.x_len().max(s.y_len()) < u32::MAX as usize,
        "{what}: tensors too large for u32 indexing"
    );
    let (splits, rows) = weight_splits(s);
    let p = WeightParams {
        n: s.n as u32,
        cin: s.cin as u32,
        cout: s.cout as u32,
        h: s.h as u32,
        w: s.w as u32,
        splits: splits as u32,
        rows: rows as u32,
        nw: s.w_len() as u32,
        blocks_in: s.cin.div_ceil(TILE_C) as u32,
        blocks_out: s.cout.div_ceil(TILE_C) as u32,
    };
    let pw = gpu.zeros(&[splits, s.w_len()]);
    let pb = gpu.zeros(&[splits, s.cout]);
    let invocations = if s.k == 3 {
        s.cin
    } else {
        s.cin.div_ceil(TILE_C)
    } * s.cout.div_ceil(TILE_C);
    let gx = invocations.div_ceil(TILE_INV);
    assert!(
        gx <= 65535 && splits <= 65535,
        "{what}: shape {s:?} needs too many workgroups"
    );
    vec![
        gpu.dispatch(
            what,
            what,
            s.entry(),
            &p,
            &[x, dy, &pw, &pb],
            [gx as u32, splits as u32, 1],
        ),
        gpu.dispatch(
            "conv2d_backward_weight_reduce",
            "conv2d_backward_weight_reduce",
            "main",
            &p,
            &[&pw, &pb, dw, db],
            grid_1d(s.w_len() + s.cout),
        ),
    ]
}

/// CPU reference forward (f64 accumulation).
pub fn conv2d_cpu(s: &Conv2dShape, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
    let (h, wd, k) = (s.h as isize, s.w as isize, s.k as isize);
    let pad = k / 2;
    let mut y = vec![0f32; s.y_len()];
    for n in 0..s.n {
        for co in 0..s.cout {
            for oh in 0..h {
                for ow in 0..wd {
                    let mut acc = b[co] as f64;
                    for ci in 0..s.cin {
                        for kh in 0..k {
                            let ih = oh + kh - pad;
                            if ih < 0 || ih >= h {
                                continue;
                            }
                            for kw in 0..k {
                                let iw = ow + kw - pad;
                                if iw < 0 || iw >= wd {
                                    continue;
                                }
                                let xv =
                                    x[((n * s.cin + ci) * s.h + ih as usize) * s.w + iw as usize];
                                let wv =
                                    w[((co * s.cin + ci) * s.k + kh as usize) * s.k + kw as usize];
                                acc += xv as f64 * wv as f64;
                            }
                        }
                    }
                    y[((n * s.cout + co) * s.h + oh as usize) * s.w + ow as usize] = acc as f32;
                }
            }
        }
    }
    y
}

/// returns (dx, dw, db)
pub fn conv2d_backward_cpu(
    s: &Conv2dShape,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (h, wd, k) = (s.h as isize, s.w as isize, s.k as isize);
    let pad = k / 2;
    let mut dx = vec![0f64; s.x_len()];
    let mut dw = vec![0f64; s.w_len()];
    let mut db = vec![0f64; s.cout];
    for n in 0..s.n {
        for co in 0..s.cout {
            for oh in 0..h {
                for ow in 0..wd {
                    let g = dy[((n * s.cout + co) * s.h + oh as usize) * s.w + ow as usize] as f64;
                    db[co] += g;
                    for ci in 0..s.cin {
                        for kh in 0..k {
                            let ih = oh + kh - pad;
                            if ih < 0 || ih >= h {
                                continue;
                            }
                            for kw in 0..k {
                                let iw = ow + kw - pad;
                                if iw < 0 || iw >= wd {
                                    continue;
                                }
                                let xi = ((n * s.cin + ci) * s.h + ih as usize) * s.w + iw as usize;
                                let wi =
                                    ((co * s.cin + ci) * s.k + kh as usize) * s.k + kw as usize;
                                dx[xi] += g * w[wi] as f64;
                                dw[wi] += g * x[xi] as f64;
                            }
                        }
                    }
                }
            }
        }
    }
    let f = |v: Vec<f64>| v.into_iter().map(|a| a as f32).collect::<Vec<f32>>();
    (f(dx), f(dw), f(db))
}
