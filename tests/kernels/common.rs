//! Shared test helpers: one GPU context per test binary, random data, tolerant comparison.

#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use wgpu_ddpm::gpu::{Gpu, GpuTensor, Program};
pub use wgpu_ddpm::util::host_rng::HostRng;

pub fn gpu() -> Arc<Gpu> {
    static GPU: OnceLock<Arc<Gpu>> = OnceLock::new();
    GPU.get_or_init(|| Gpu::new().expect("tests need a GPU adapter (lavapipe is enough)"))
        .clone()
}

/// Run dispatches built by a launcher and wait.
pub fn run(gpu: &Gpu, dispatches: impl IntoIterator<Item = wgpu_ddpm::gpu::Dispatch>) {
    let mut prog = Program::new();
    for d in dispatches {
        prog.push(d);
    }
    prog.run(gpu);
}

pub fn upload(gpu: &Gpu, data: &[f32], shape: &[usize]) -> GpuTensor {
    gpu.upload(data, shape)
}

/// |a - b| <= atol + rtol * |b| elementwise, with the first offending index in the message.
#[track_caller]
pub fn assert_close(what: &str, got: &[f32], want: &[f32], atol: f32, rtol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length {} vs {}", got.len(), want.len());
    let mut worst = (0usize, 0.0f32);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let err = (g - w).abs();
        assert!(g.is_finite(), "{what}: non-finite value {g} at {i}");
        if err > atol + rtol * w.abs() {
            panic!("{what}: mismatch at index {i}: got {g}, want {w} (atol {atol}, rtol {rtol})");
        }
        if err > worst.1 {
            worst = (i, err);
        }
    }
}

/// Central finite difference of a scalar f64 function at x (for backward checks).
pub fn finite_diff(x: &[f64], eps: f64, mut f: impl FnMut(&[f64]) -> f64) -> Vec<f64> {
    let mut x = x.to_vec();
    (0..x.len())
        .map(|i| {
            let orig = x[i];
            x[i] = orig + eps;
            let fp = f(&x);
            x[i] = orig - eps;
            let fm = f(&x);
            x[i] = orig;
            (fp - fm) / (2.0 * eps)
        })
        .collect()
}
