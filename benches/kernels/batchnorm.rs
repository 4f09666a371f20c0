//! The `batchnorm` group times batchnorm_stats + batchnorm; `batchnorm_backward`
//! times batchnorm_backward_reduce + batchnorm_backward; `batchnorm_relu` and
//! `batchnorm_relu_backward` the same passes with the fused ReLU. `BENCH_BATCH` overrides the
//! batch (default 8 on a CPU adapter).
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::batchnorm::{
    batchnorm_backward, batchnorm_eval, batchnorm_train, BnOut, BnShape,
};

/// The seed U-Net's BatchNorm shapes: 64 channels at 28x28, 128 at 14x14, 256 at 7x7.
pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let n = b.batch_or_env();
    for (c, hw) in [(64usize, 28usize), (128, 14), (256, 7)] {
        let s = BnShape { n, c, hw: hw * hw };
        let len = s.len();
        let case = format!("{n}x{c}x{hw}x{hw}");
        let big = || gpu.zeros(&[len]);
        let ch = || gpu.zeros(&[c]);
        let (x, y, dy, dx) = (big(), big(), big(), big());
        let (gamma, beta, rm, rv, mean, invstd, dg, db) =
            (ch(), ch(), ch(), ch(), ch(), ch(), ch(), ch());
        gpu.write(&rv, &vec![1.0; c]);
        gpu.write(&gamma, &vec![1.0; c]);
        // The fused ReLU runs the same passes; its backward also reads the output y in both.
        for (out, relu_out, suffix) in [(BnOut::Plain, None, ""), (BnOut::Relu, Some(&y), "_relu")]
        {
            let name = format!("batchnorm{suffix}");
            if b.enabled(&name) {
                // Two passes: x is read twice, y written once.
                let mut p = Program::new();
                let stats = [&rm, &rv, &mean, &invstd];
                p.extend(batchnorm_train(gpu, &s, &x, &gamma, &beta, stats, &y, out));
                b.report(&name, &case, &p, 0.0, 12.0 * len as f64);
            }
            let name = format!("batchnorm{suffix}_backward");
            if b.enabled(&name) {
                // Reduce pass reads x, dy; apply pass reads x, dy and reads + writes dx.
                let mut p = Program::new();
                let saved = [&mean, &invstd];
                let grads = [&dx, &dg, &db];
                p.extend(batchnorm_backward(
                    gpu, &s, &x, &gamma, saved, &dy, relu_out, grads,
                ));
                let bytes = if relu_out.is_some() { 32.0 } else { 24.0 };
                b.report(&name, &case, &p, 0.0, bytes * len as f64);
            }
        }
        if b.enabled("batchnorm_eval") {
            let mut p = Program::new();
            let running = [&rm, &rv];
            p.push(batchnorm_eval(
                gpu,
                &s,
                &x,
                &gamma,
                &beta,
                running,
                &y,
                BnOut::Plain,
            ));
            b.report("batchnorm_eval", &case, &p, 0.0, 8.0 * len as f64);
        }
    }
}
