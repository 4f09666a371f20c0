use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::grad_clip::grad_clip;

pub fn bench(b: &Bencher) {
    if !b.enabled("grad_clip") {
        return;
    }
    let n = 1_900_000;
    let (g, norm) = (b.gpu.zeros(&[n]), b.gpu.zeros(&[1]));
    let mut p = Program::new();
    p.extend(grad_clip(&b.gpu, 1.0, &g, &norm));
    b.report(
        "grad_clip",
        "1.9M params (norm + scale)",
        &p,
        0.0,
        16.0 * n as f64,
    );
}
