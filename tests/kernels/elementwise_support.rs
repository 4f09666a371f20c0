//! Set-up the elementwise and data-movement kernel tests share: host values kept with their
//! GPU copy (so a prefilled gradient buffer can be checked for accumulation), exact and
//! bit-for-bit comparisons, and finite-difference checks of a loss in several arguments.

use wgpu_ddpm::gpu::GpuTensor;

use crate::common::tol;
use crate::common::*;

/// Host values and the GPU tensor they were uploaded to.
pub struct Filled {
    pub host: Vec<f32>,
    pub dev: GpuTensor,
}

impl Filled {
    pub fn new(host: Vec<f32>, shape: &[usize]) -> Self {
        let dev = upload(&gpu(), &host, shape);
        Self { host, dev }
    }

    /// N(0, 1) values, one draw from `rng` per element of `shape`.
    pub fn normal(rng: &mut HostRng, shape: &[usize]) -> Self {
        Self::new(rng.vec_normal(shape.iter().product()), shape)
    }

    /// After a backward kernel added `fresh` (the reference gradient) into this buffer, it
    /// must hold the values it was filled with plus `fresh`.
    #[track_caller]
    pub fn assert_accumulated(&self, what: &str, fresh: &[f32], atol: f32, rtol: f32) {
        assert_accumulates(what, &read(&self.dev), &self.host, fresh, atol, rtol);
    }
}

/// `Gpu::read` of an empty tensor trips bytemuck's alignment check (empty Vec<u8>), so an
/// empty tensor reads as an empty Vec without touching the GPU.
pub fn read(t: &GpuTensor) -> Vec<f32> {
    if t.is_empty() {
        Vec::new()
    } else {
        gpu().read(t)
    }
}

/// Kernels that only move values must match the reference to the bit.
#[track_caller]
pub fn assert_exact(what: &str, got: &[f32], want: &[f32]) {
    assert_close(what, got, want, 0.0, 0.0);
}

/// Kernels that do the reference's single f32 addition or multiplication: WGSL makes it
/// correctly rounded but names no rounding mode, so the result is the reference's
/// round-to-nearest value or its neighbour, one ULP (tol::ULP_REL relative) away.
#[track_caller]
pub fn assert_rounded(what: &str, got: &[f32], want: &[f32]) {
    assert_close(what, got, want, 0.0, ONE_ULP);
}

/// `tol::ULP_REL` as the rtol of `assert_close`: one correctly rounded operation.
pub const ONE_ULP: f32 = tol::ULP_REL as f32;

/// A reduction with a fixed order gives the same bits every time: `run_once` three times.
#[track_caller]
pub fn assert_deterministic(what: &str, mut run_once: impl FnMut() -> Vec<f32>) {
    let bits: Vec<Vec<u32>> = (0..3)
        .map(|_| run_once().iter().map(|v| v.to_bits()).collect())
        .collect();
    assert!(
        bits.windows(2).all(|w| w[0] == w[1]),
        "{what} differs between runs: {bits:?}"
    );
}

/// sum(r * y) in f64: the loss whose gradient is a backward kernel run with dy = r.
pub fn weighted_sum(y: &[f64], r: &[f32]) -> f64 {
    y.iter().zip(r).map(|(y, r)| y * *r as f64).sum()
}

/// The gradients of a loss in each of its N arguments against central differences in that
/// argument, the others held at `at`: `grads[i]` = (name, GPU gradient, atol, rtol), checked
/// as "`what` name".
#[track_caller]
pub fn fd_check_partials<const N: usize>(
    what: &str,
    at: [&[f64]; N],
    eps: f64,
    loss: impl Fn([&[f64]; N]) -> f64,
    grads: [(&str, &[f32], f32, f32); N],
) {
    for (i, (name, got, atol, rtol)) in grads.into_iter().enumerate() {
        let moved = |v: &[f64]| {
            let mut args = at;
            args[i] = v;
            loss(args)
        };
        fd_check(
            &format!("{what} {name}"),
            got,
            at[i],
            eps,
            moved,
            atol,
            rtol,
        );
    }
}
