//! The `batchnorm_eval_backward` group times the input gradient (batchnorm_eval_backward)
//! plus the parameter gradients (batchnorm_eval_backward_params) of eval-mode BatchNorm,
//! the layer's backward when fine-tuning through the sampler.
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::batchnorm_eval_backward::batchnorm_eval_backward;

/// The seed U-Net's BatchNorm shapes: 64 channels at 28x28, 128 at 14x14, 256 at 7x7.
pub fn bench(b: &Bencher) {
    if !b.enabled("batchnorm_eval_backward") {
        return;
    }
    let gpu = &b.gpu;
    let n = b.batch();
    for (c, hw) in [(64usize, 28usize), (128, 14), (256, 7)] {
        let len = n * c * hw * hw;
        let (x, dy, dx) = (gpu.zeros(&[len]), gpu.zeros(&[len]), gpu.zeros(&[len]));
        let ch = || gpu.zeros(&[c]);
        let (gamma, rm, rv, dg, db) = (ch(), ch(), ch(), ch(), ch());
        gpu.write(&rv, &vec![1.0; c]);
        let mut p = Program::new();
        p.extend(batchnorm_eval_backward(
            gpu,
            n,
            c,
            hw * hw,
            &x,
            &gamma,
            &rm,
            &rv,
            &dy,
            Some(&dx),
            Some((&dg, &db)),
        ));
        // dx pass reads dy and reads + writes dx; the params pass reads x and dy.
        b.report(
            "batchnorm_eval_backward",
            &format!("{n}x{c}x{hw}x{hw}"),
            &p,
            0.0,
            20.0 * len as f64,
        );
    }
}
