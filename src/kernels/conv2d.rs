//! 2-D convolution, stride 1, padding k/2, k = 3 or 1, with bias; weights OIHW as PyTorch.
//! Shaders: `shaders/conv2d_pack_input.wgsl` and `shaders/conv2d_pack_weight.wgsl` (buffers
//! into the textures the kernels read), `shaders/conv2d.wgsl` (forward, and backward-input as
//! the same convolution with transposed weights), `shaders/conv2d_backward_weight.wgsl` +
//! `shaders/conv2d_backward_weight_reduce.wgsl`.
//!
//! Activations stay NCHW buffers; each conv packs its input into a texture first (measured
//! cheaper than what the texture reads save; see BENCHMARKS.md). A `ConvPlan` owns one
//! layer's textures so that the backward pass reuses what the forward pass packed.

use bytemuck::{Pod, Zeroable};

use crate::gpu::{grid_1d, Bind, Dispatch, Gpu, GpuTensor};
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

    /// The same convolution seen from backward-input: dy (cout channels) to dx (cin).
    fn transposed(&self) -> Conv2dShape {
        Conv2dShape {
            cin: self.cout,
            cout: self.cin,
            ..*self
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

/// Pixels per invocation and invocations per workgroup of `conv2d.wgsl` (`P`, `WGS` there).
const CONV_PX: usize = 7;
const CONV_WG: usize = 32;
/// Output channels per invocation of `conv2d.wgsl` (two vec4 halves).
const CONV_CO: usize = 8;
/// Invocations per workgroup of `conv2d_backward_weight.wgsl`.
const BW_WG: usize = 64;
/// Weight textures are rows of this many texels (`spread_*.wgsl`, `conv2d_pack_weight.wgsl`).
const WROW: usize = 1024;

fn groups_1d(what: &str, invocations: usize, wg: usize) -> [u32; 3] {
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

/// An activation [n, c, h, w] packed for the conv kernels: rgba32float texels of 4 channels,
/// image n a row of ceil(c/4) tiles of (h+2) x (w+2) texels with a zero border, `npl` images
/// stacked per array layer (see `shaders/conv2d_pack_input.wgsl`).
pub struct PackedInput {
    pub view: wgpu::TextureView,
    params: PackParams,
    layers: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct PackParams {
    n: u32,
    c: u32,
    h: u32,
    w: u32,
    c4: u32,
    npl: u32,
    tex_w: u32,
    layer_h: u32,
}

impl PackedInput {
    /// The texture for an activation of shape [n, c, h, w], within the adapter's limits.
    pub fn new(gpu: &Gpu, n: usize, c: usize, h: usize, w: usize) -> PackedInput {
        let max = gpu.limits.max_texture_dimension_2d as usize;
        let max_layers = gpu.limits.max_texture_array_layers as usize;
        let c4 = c.div_ceil(4);
        let tex_w = c4 * (w + 2);
        assert!(
            tex_w <= max && h + 2 <= max,
            "conv2d: {c} channels of {h}x{w} pixels need a texture {tex_w} texels wide, over this adapter's limit of {max}; use fewer channels or smaller images"
        );
        let npl = (max / (h + 2)).min(n);
        let layers = n.div_ceil(npl);
        assert!(
            layers <= max_layers,
            "conv2d: a batch of {n} images of {h}x{w} needs {layers} texture layers, over this adapter's limit of {max_layers}; use a batch of at most {}",
            npl * max_layers
        );
        let tex = gpu.create_texture(&wgpu::TextureDescriptor {
            label: Some("conv2d packed input"),
            size: wgpu::Extent3d {
                width: tex_w as u32,
                height: (npl * (h + 2)) as u32,
                depth_or_array_layers: layers as u32,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba32Float,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::STORAGE_BINDING,
            view_formats: &[],
        });
        let view = tex.create_view(&wgpu::TextureViewDescriptor {
            dimension: Some(wgpu::TextureViewDimension::D2Array),
            ..Default::default()
        });
        let params = PackParams {
            n: n as u32,
            c: c as u32,
            h: h as u32,
            w: w as u32,
            c4: c4 as u32,
            npl: npl as u32,
            tex_w: tex_w as u32,
            layer_h: (npl * (h + 2)) as u32,
        };
        PackedInput {
            view,
            params,
            layers: layers as u32,
        }
    }

    /// Fill the texture from the NCHW tensor `x`.
    pub fn pack(&self, gpu: &Gpu, x: &GpuTensor) -> Dispatch {
        let p = &self.params;
        let want = (p.n * p.c * p.h * p.w) as usize;
        assert_eq!(
            x.len(),
            want,
            "conv2d_pack_input: tensor has {} elements, the packed shape [{}, {}, {}, {}] needs {want}",
            x.len(),
            p.n,
            p.c,
            p.h,
            p.w
        );
        let groups = [p.tex_w.div_ceil(8), p.layer_h.div_ceil(8), self.layers];
        gpu.dispatch_bound(
            "conv2d_pack_input",
            "conv2d_pack_input",
            "main",
            p,
            &[Bind::Tensor(x), Bind::Texture(&self.view)],
            groups,
        )
    }
}

/// Conv weights packed for `conv2d.wgsl` (see `shaders/conv2d_pack_weight.wgsl`).
pub struct PackedWeights {
    pub view: wgpu::TextureView,
    params: WeightPackParams,
    transposed: bool,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct WeightPackParams {
    cout: u32,
    cin: u32,
    k: u32,
    ci4: u32,
    texels: u32,
}

impl PackedWeights {
    /// For the convolution `s` (forward), or for backward-input of `s` if `transposed`.
    pub fn new(gpu: &Gpu, s: &Conv2dShape, transposed: bool) -> PackedWeights {
        let t = if transposed { s.transposed() } else { *s };
        let ci4 = t.cin.div_ceil(4);
        let texels = t.cout.div_ceil(CONV_CO) * ci4 * t.k * t.k * 8;
        let rows = texels.div_ceil(WROW);
        let max = gpu.limits.max_texture_dimension_2d as usize;
        assert!(
            rows <= max,
            "conv2d: {} weights need {rows} texture rows, over this adapter's limit of {max}",
            s.w_len()
        );
        let tex = gpu.create_texture(&wgpu::TextureDescriptor {
            label: Some("conv2d packed weights"),
            size: wgpu::Extent3d {
                width: WROW as u32,
                height: rows as u32,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba32Float,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::STORAGE_BINDING,
            view_formats: &[],
        });
        PackedWeights {
            view: tex.create_view(&Default::default()),
            params: WeightPackParams {
                cout: t.cout as u32,
                cin: t.cin as u32,
                k: t.k as u32,
                ci4: ci4 as u32,
                texels: texels as u32,
            },
            transposed,
        }
    }

    /// Fill the texture from the OIHW weights `w` (of the forward convolution).
    pub fn pack(&self, gpu: &Gpu, w: &GpuTensor) -> Dispatch {
        let p = &self.params;
        assert_eq!(
            w.len(),
            (p.cout * p.cin * p.k * p.k) as usize,
            "conv2d_pack_weight: weight tensor of {} elements does not match the packed shape",
            w.len()
        );
        let entry = if self.transposed {
            "transposed"
        } else {
            "forward"
        };
        gpu.dispatch_bound(
            "conv2d_pack_weight",
            "conv2d_pack_weight",
            entry,
            p,
            &[Bind::Tensor(w), Bind::Texture(&self.view)],
            groups_1d("conv2d_pack_weight", p.texels as usize, 64),
        )
    }
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ConvParams {
    n: u32,
    cin4: u32,
    cout: u32,
    h: u32,
    w: u32,
    tiles_w: u32,
    total: u32,
    npl: u32,
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
        s.x_len().max(s.y_len()) < u32::MAX as usize,
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
        "conv2d",
        &entry,
        &p,
        &binds,
        [gx as u32, gy as u32, 1],
    )
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct WeightParams {
    n: u32,
    cin4: u32,
    cout4: u32,
    h: u32,
    w: u32,
    k: u32,
    splits: u32,
    rows: u32,
    npl: u32,
    units: u32,
    invocations: u32,
    cin: u32,
    cout: u32,
}

/// Splits of the N*H output rows for the weight gradient: enough invocations to fill the
/// adapter (a CPU wants a few dozen workgroups, a GPU thousands), scratch at most ~4M floats.
fn weight_splits(gpu: &Gpu, s: &Conv2dShape, invocations: usize) -> (usize, usize) {
    let target: usize = if gpu.is_cpu() { 2048 } else { 65536 };
    let units = s.cout.div_ceil(4) * s.cin.div_ceil(4) * s.k;
    let per_split = units * 16 * s.k + s.cout.div_ceil(4) * 4;
    let cap = ((4usize << 20) / per_split).max(1);
    let want = target.div_ceil(invocations).clamp(1, cap).min(s.n * s.h);
    let rows = (s.n * s.h).div_ceil(want);
    ((s.n * s.h).div_ceil(rows), rows)
}

/// The weight-gradient passes on packed x and dy; the scratch buffer is allocated here.
fn backward_weight_packed(
    gpu: &Gpu,
    s: &Conv2dShape,
    x: &PackedInput,
    dy: &PackedInput,
    dw: &GpuTensor,
    db: &GpuTensor,
) -> Vec<Dispatch> {
    let what = "conv2d_backward_weight";
    let (cin4, cout4) = (s.cin.div_ceil(4), s.cout.div_ceil(4));
    let units = cout4 * cin4 * s.k;
    // k = 3: one invocation per pair of output groups (see the shader)
    let invocations = if s.k == 3 {
        cout4.div_ceil(2) * cin4 * s.k
    } else {
        units
    };
    let (splits, rows) = weight_splits(gpu, s, invocations);
    let p = WeightParams {
        n: s.n as u32,
        cin4: cin4 as u32,
        cout4: cout4 as u32,
        h: s.h as u32,
        w: s.w as u32,
        k: s.k as u32,
        splits: splits as u32,
        rows: rows as u32,
        npl: x.params.npl,
        units: units as u32,
        invocations: invocations as u32,
        cin: s.cin as u32,
        cout: s.cout as u32,
    };
    let part = gpu.zeros(&[splits * (units * 16 * s.k + cout4 * 4)]);
    let groups = groups_1d(what, invocations * splits, BW_WG);
    let entry = if s.k == 3 { "main_k3" } else { "main_k1" };
    vec![
        gpu.dispatch_bound(
            what,
            what,
            entry,
            &p,
            &[
                Bind::Texture(&x.view),
                Bind::Texture(&dy.view),
                Bind::Tensor(&part),
            ],
            groups,
        ),
        gpu.dispatch(
            "conv2d_backward_weight_reduce",
            "conv2d_backward_weight_reduce",
            "main",
            &p,
            &[&part, dw, db],
            grid_1d(s.w_len() + s.cout),
        ),
    ]
}

/// One conv layer's textures, made once when the layer is recorded: the packed input (kept
/// from the forward pass for the weight gradient), the packed weights, and in training the
/// packed dy and the transposed weights of backward-input.
pub struct ConvPlan {
    pub s: Conv2dShape,
    x: PackedInput,
    w: PackedWeights,
    dy: Option<PackedInput>,
    wt: Option<PackedWeights>,
}

impl ConvPlan {
    pub fn new(gpu: &Gpu, s: &Conv2dShape, train: bool) -> ConvPlan {
        s.check("conv2d");
        ConvPlan {
            s: *s,
            x: PackedInput::new(gpu, s.n, s.cin, s.h, s.w),
            w: PackedWeights::new(gpu, s, false),
            dy: train.then(|| PackedInput::new(gpu, s.n, s.cout, s.h, s.w)),
            wt: train.then(|| PackedWeights::new(gpu, s, true)),
        }
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
        let (what, s) = ("conv2d", &self.s);
        expect_len(what, "x", x, s.x_len(), s);
        expect_len(what, "w", w, s.w_len(), s);
        expect_len(what, "b", b, s.cout, s);
        expect_len(what, "y", y, s.y_len(), s);
        assert!(!y.overlaps(x), "{what}: y must not overlap x");
        vec![
            self.x.pack(gpu, x),
            self.w.pack(gpu, w),
            conv_packed(gpu, s, &self.x, &self.w, Some(b), y),
        ]
    }

    /// dw += sum dy * x-patch, db += sum dy, and (if `dx` is given) dx += conv_transpose(dy, w).
    /// Reads x as the forward pass packed it: record after `forward`, with x unchanged.
    pub fn backward(
        &self,
        gpu: &Gpu,
        w: &GpuTensor,
        dy: &GpuTensor,
        dx: Option<&GpuTensor>,
        dw: &GpuTensor,
        db: &GpuTensor,
    ) -> Vec<Dispatch> {
        let (what, s) = ("conv2d backward", &self.s);
        let (dyp, wt) = match (&self.dy, &self.wt) {
            (Some(d), Some(t)) => (d, t),
            _ => panic!("{what}: the plan was made without training textures"),
        };
        expect_len(what, "w", w, s.w_len(), s);
        expect_len(what, "dy", dy, s.y_len(), s);
        expect_len(what, "dw", dw, s.w_len(), s);
        expect_len(what, "db", db, s.cout, s);
        let mut out = vec![dyp.pack(gpu, dy)];
        if let Some(dx) = dx {
            expect_len(what, "dx", dx, s.x_len(), s);
            assert!(!dx.overlaps(dy), "{what}: dx must not overlap dy");
            out.push(wt.pack(gpu, w));
            out.push(conv_packed(gpu, &s.transposed(), dyp, wt, None, dx));
        }
        out.extend(backward_weight_packed(gpu, s, &self.x, dyp, dw, db));
        out
    }
}

/// y = conv(x, w) + b   (overwrites y), packing included.
pub fn conv2d(
    gpu: &Gpu,
    s: &Conv2dShape,
    x: &GpuTensor,
    w: &GpuTensor,
    b: &GpuTensor,
    y: &GpuTensor,
) -> Vec<Dispatch> {
    ConvPlan::new(gpu, s, false).forward(gpu, x, w, b, y)
}

/// dx += conv_transpose(dy, w), packing included.
pub fn conv2d_backward_input(
    gpu: &Gpu,
    s: &Conv2dShape,
    w: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
) -> Vec<Dispatch> {
    let what = "conv2d_backward_input";
    s.check(what);
    expect_len(what, "w", w, s.w_len(), s);
    expect_len(what, "dy", dy, s.y_len(), s);
    expect_len(what, "dx", dx, s.x_len(), s);
    assert!(!dx.overlaps(dy), "{what}: dx must not overlap dy");
    let dyp = PackedInput::new(gpu, s.n, s.cout, s.h, s.w);
    let wt = PackedWeights::new(gpu, s, true);
    vec![
        dyp.pack(gpu, dy),
        wt.pack(gpu, w),
        conv_packed(gpu, &s.transposed(), &dyp, &wt, None, dx),
    ]
}

/// dw += sum_{n,h,w} dy * x-patch ; db += sum_{n,h,w} dy, packing included. Deterministic
/// split reduction over N*H*W (partials into a scratch buffer, then a fixed-order second pass).
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
    let xp = PackedInput::new(gpu, s.n, s.cin, s.h, s.w);
    let dyp = PackedInput::new(gpu, s.n, s.cout, s.h, s.w);
    let mut out = vec![xp.pack(gpu, x), dyp.pack(gpu, dy)];
    out.extend(backward_weight_packed(gpu, s, &xp, &dyp, dw, db));
    out
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
