//! Shared test helpers: one GPU context per test binary, random data, tolerant comparison,
//! the accumulate check of backward kernels, and finite-difference gradient checks.
//! A test binary includes it with `mod common;` (or `#[path = "../common/mod.rs"]`).

#![allow(dead_code)]

pub mod tol;

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
    prog.extend(dispatches);
    prog.run(gpu);
}

pub fn upload(gpu: &Gpu, data: &[f32], shape: &[usize]) -> GpuTensor {
    gpu.upload(data, shape)
}

/// |a - b| <= atol + rtol * |b| elementwise (`approx::abs_diff_eq` with that epsilon: the
/// tolerance scales with the reference, not with the larger of the two as
/// `approx::relative_eq` would), with the first offending index in the message.
#[track_caller]
pub fn assert_close(what: &str, got: &[f32], want: &[f32], atol: f32, rtol: f32) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: length {} vs {}",
        got.len(),
        want.len()
    );
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g.is_finite(), "{what}: non-finite value {g} at {i}");
        assert!(
            approx::abs_diff_eq!(*g, *w, epsilon = atol + rtol * w.abs()),
            "{what}: mismatch at index {i}: got {g}, want {w} (atol {atol}, rtol {rtol})"
        );
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

/// Backward kernels add into their gradient buffers: after a kernel ran on a buffer that
/// held `before`, it must hold `before + fresh` (`fresh`: the reference gradient).
#[track_caller]
pub fn assert_accumulates(
    what: &str,
    got: &[f32],
    before: &[f32],
    fresh: &[f32],
    atol: f32,
    rtol: f32,
) {
    assert_eq!(
        before.len(),
        fresh.len(),
        "{what}: prefill length {} vs gradient length {}",
        before.len(),
        fresh.len()
    );
    let want: Vec<f32> = fresh.iter().zip(before).map(|(f, b)| f + b).collect();
    assert_close(what, got, &want, atol, rtol);
}

/// A gradient `got` (f32, from the GPU) against central differences of the f64 loss `f`
/// at `x` with step `eps`.
#[track_caller]
pub fn fd_check(
    what: &str,
    got: &[f32],
    x: &[f64],
    eps: f64,
    f: impl FnMut(&[f64]) -> f64,
    atol: f32,
    rtol: f32,
) {
    let fd: Vec<f32> = finite_diff(x, eps, f).iter().map(|v| *v as f32).collect();
    assert_close(what, got, &fd, atol, rtol);
}

/// f32 values widened to f64 (the inputs of an f64 reference loss).
pub fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|a| *a as f64).collect()
}
