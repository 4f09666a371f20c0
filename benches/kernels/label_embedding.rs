use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::guidance::guidance;
use wgpu_ddpm::kernels::label_embedding::{label_embedding, label_embedding_backward};

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let (n, d, rows) = (b.batch(), 100, 11);
    let (temb, out, table) = (
        gpu.zeros(&[n, d]),
        gpu.zeros(&[n, d]),
        gpu.zeros(&[rows, d]),
    );
    let y = gpu.upload_u32(&vec![3; n], &[n]);
    let case = format!("{n}x{d}, {rows} rows");
    if b.enabled("label_embedding") {
        let mut p = Program::new();
        p.push(label_embedding(gpu, n, d, &temb, &y, &table, &out));
        b.report("label_embedding", &case, &p, 0.0, 12.0 * (n * d) as f64);
    }
    if b.enabled("label_embedding_backward") {
        let mut p = Program::new();
        p.push(label_embedding_backward(gpu, n, d, &y, &out, &temb, &table));
        b.report(
            "label_embedding_backward",
            &case,
            &p,
            0.0,
            (12 * n * d + 8 * rows * d) as f64,
        );
    }
    if b.enabled("guidance") {
        let len = 64 * 28 * 28;
        let (e2, e) = (gpu.zeros(&[2 * len]), gpu.zeros(&[len]));
        let mut p = Program::new();
        p.push(guidance(gpu, 3.0, &e2, &e));
        b.report("guidance", "64x1x28x28", &p, 0.0, 12.0 * len as f64);
    }
}
