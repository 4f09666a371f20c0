//! The `softmax_cross_entropy` group times both passes (the rows, then the mse_sum
//! reduction); `softmax_cross_entropy_backward` the gradient.
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::softmax_cross_entropy::{
    softmax_cross_entropy, softmax_cross_entropy_backward,
};

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    // The quality classifier's loss: a batch of 10-class logits.
    let (rows, classes) = (b.batch(), 10);
    let case = format!("{rows}x{classes}");
    let logits = gpu.zeros(&[rows, classes]);
    let labels = gpu.upload_u32(&vec![0; rows], &[rows]);
    let (logp, loss, dlogits) = (
        gpu.zeros(&[rows, classes]),
        gpu.zeros(&[1]),
        gpu.zeros(&[rows, classes]),
    );
    let len = (rows * classes) as f64;
    if b.enabled("softmax_cross_entropy") {
        let mut p = Program::new();
        p.extend(softmax_cross_entropy(
            gpu, rows, classes, &logits, &labels, &logp, &loss,
        ));
        b.report("softmax_cross_entropy", &case, &p, 0.0, 8.0 * len);
    }
    if b.enabled("softmax_cross_entropy_backward") {
        let mut p = Program::new();
        p.push(softmax_cross_entropy_backward(
            gpu, rows, classes, &logp, &labels, &dlogits,
        ));
        b.report("softmax_cross_entropy_backward", &case, &p, 0.0, 12.0 * len);
    }
}
