use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::adam::{adam, adam_hyper, AdamConfig};

/// Trainable parameters of the seed U-Net for 1-channel images (MLPs, convs, BatchNorm affine).
fn seed_params() -> usize {
    let block = |ci: usize, co: usize| {
        (100 * ci + ci) + (ci * ci + ci) + (ci * co * 9 + co) + 2 * co + (co * co * 9 + co) + 2 * co
    };
    block(1, 64) + block(64, 128) + block(128, 256) + block(384, 128) + block(192, 64) + (64 + 1)
}

pub fn bench(b: &Bencher) {
    if !b.enabled("adam") {
        return;
    }
    let gpu = &b.gpu;
    let n = seed_params();
    let (params, grads, m, v) = (
        gpu.zeros(&[n]),
        gpu.zeros(&[n]),
        gpu.zeros(&[n]),
        gpu.zeros(&[n]),
    );
    let hyper = gpu.upload(&adam_hyper(&AdamConfig::default(), 1), &[8]);
    let mut p = Program::new();
    p.push(adam(gpu, &params, &grads, &m, &v, &hyper));
    // Reads p, g, m, v and writes p, m, v.
    b.report("adam", &format!("{n} params"), &p, 0.0, 28.0 * n as f64);
}
