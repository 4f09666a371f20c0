use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::time_embedding::time_embedding;

pub fn bench(b: &Bencher) {
    if !b.enabled("time_embedding") {
        return;
    }
    let gpu = &b.gpu;
    let (n, d) = (b.batch(), 100);
    let t: Vec<u32> = (0..n as u32).map(|i| 1 + (i * 37) % 1000).collect();
    let (tg, out) = (gpu.upload_u32(&t, &[n]), gpu.zeros(&[n, d]));
    let mut p = Program::new();
    p.push(time_embedding(gpu, n, d, &tg, &out));
    b.report(
        "time_embedding",
        &format!("{n}x{d}"),
        &p,
        0.0,
        4.0 * (n + n * d + 4 * d) as f64,
    );
}
