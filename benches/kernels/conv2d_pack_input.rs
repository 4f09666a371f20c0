//! The `conv2d_pack_input` group times the pass that packs an NCHW activation into the
//! texture the conv kernels read (`shaders/conv2d_pack_input.wgsl`), alone, at the inputs of
//! the seed U-Net's 3x3 convs: `main` (x), `add` (x + v, a ConvBlock's time embedding) and
//! `cat_add` (cat(a, b) + v, an up block's skip concat). GB/s counts the values read and the
//! texels written. `BENCH_BATCH` overrides the batch, as in the conv2d group.
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::conv2d::{PackSource, PackedInput};

/// (entry, channels of x, channels of b, h = w): the packed inputs of the seed U-Net at
/// 64,128,256.
const CASES: [(&str, usize, usize, usize); 6] = [
    ("main", 64, 0, 28),
    ("add", 64, 0, 28),
    ("add", 128, 0, 14),
    ("add", 256, 0, 7),
    ("cat_add", 256, 128, 14),
    ("cat_add", 128, 64, 28),
];

pub fn bench(b: &Bencher) {
    if !b.enabled("conv2d_pack_input") {
        return;
    }
    let gpu = &b.gpu;
    let n = std::env::var("BENCH_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| b.batch());
    for (entry, ca, cb, hw) in CASES {
        let c = ca + cb;
        let packed = PackedInput::new(gpu, n, c, hw, hw);
        let x = gpu.zeros(&[n, ca, hw, hw]);
        let other = gpu.zeros(&[n, cb.max(1), hw, hw]);
        let v = gpu.zeros(&[n, c]);
        let src = match entry {
            "main" => PackSource::Plain(&x),
            "add" => PackSource::Add { x: &x, v: &v },
            _ => PackSource::CatAdd {
                a: &x,
                b: &other,
                v: &v,
            },
        };
        let mut p = Program::new();
        p.push(packed.pack_from(gpu, src));
        let texels = n * c.div_ceil(4) * (hw + 2) * (hw + 2);
        let bytes = 4 * n * c * hw * hw + 16 * texels;
        let case = format!("{entry} {n}x{c}x{hw}x{hw}");
        b.report("conv2d_pack_input", &case, &p, 0.0, bytes as f64);
    }
}
