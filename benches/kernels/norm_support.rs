//! What the group_norm and layer_norm groups share: one case's buffers and the timing of its
//! forward and backward, each recorded by the op's own launchers.

use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::{Dispatch, GpuTensor, Program};

/// x, y, dy, dx of `values`; gamma (ones, so the output is not all zeros), beta, dgamma,
/// dbeta of `channels`; the saved mean and rstd of `rows`.
pub struct NormBufs {
    pub x: GpuTensor,
    pub y: GpuTensor,
    pub dy: GpuTensor,
    pub dx: GpuTensor,
    pub gamma: GpuTensor,
    pub beta: GpuTensor,
    pub dgamma: GpuTensor,
    pub dbeta: GpuTensor,
    pub mean: GpuTensor,
    pub rstd: GpuTensor,
}

/// Sizes of a case and the bytes its forward and backward move per value.
pub struct NormCase<'a> {
    pub case: &'a str,
    pub values: usize,
    pub channels: usize,
    pub rows: usize,
    pub bytes: [f64; 2],
}

/// Times `name` (the forward) and `{name}_backward`, each where enabled.
pub fn bench_norm(
    b: &Bencher,
    name: &str,
    k: &NormCase,
    forward: impl Fn(&NormBufs) -> Vec<Dispatch>,
    backward: impl Fn(&NormBufs) -> Vec<Dispatch>,
) {
    let gpu = &b.gpu;
    let big = || gpu.zeros(&[k.values]);
    let ch = || gpu.zeros(&[k.channels]);
    let row = || gpu.zeros(&[k.rows]);
    let bufs = NormBufs {
        x: big(),
        y: big(),
        dy: big(),
        dx: big(),
        gamma: ch(),
        beta: ch(),
        dgamma: ch(),
        dbeta: ch(),
        mean: row(),
        rstd: row(),
    };
    gpu.write(&bufs.gamma, &vec![1.0; k.channels]);
    let backward_name = format!("{name}_backward");
    for (name, record, bytes) in [
        (
            name,
            &forward as &dyn Fn(&NormBufs) -> Vec<Dispatch>,
            k.bytes[0],
        ),
        (&backward_name, &backward, k.bytes[1]),
    ] {
        if b.enabled(name) {
            let mut p = Program::new();
            p.extend(record(&bufs));
            b.report(name, k.case, &p, 0.0, bytes * k.values as f64);
        }
    }
}
