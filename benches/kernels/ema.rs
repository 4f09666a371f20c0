use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::ema::ema;

pub fn bench(b: &Bencher) {
    if !b.enabled("ema") {
        return;
    }
    // About the seed U-Net's parameter count.
    let n = 1_900_000;
    let (src, e) = (b.gpu.zeros(&[n]), b.gpu.zeros(&[n]));
    let decay = b.gpu.upload(&[0.999], &[1]);
    let mut p = Program::new();
    p.push(ema(&b.gpu, &decay, &src, &e));
    b.report("ema", "1.9M params", &p, 0.0, 12.0 * n as f64);
}
