//! How a GPU result is compared with its CPU reference, and the bounds that comparison uses.
//!
//! The error of a result is normwise: max |gpu - cpu| over the output, divided by max |cpu|.
//! A bound is `ulps` units of f32 rounding (2^-24 relative, as WGSL's +, -, * promise
//! correct rounding or one ULP without a promise of fused multiply-add) times the square root
//! of the longest sum that feeds one output (rounding errors of a sum of n terms grow like
//! sqrt(n) in practice, n in the worst case), plus a floor for the built-ins whose WGSL
//! accuracy is absolute rather than relative (sin/cos: 2^-11 on [-pi, pi]; log near 1:
//! 2^-21). With 256 ULPs the bounds stay below 1e-2 for every check here, so a kernel wrong
//! at the percent level fails while a driver's fast transcendentals and other summation
//! orders pass.

use crate::gpu::{Gpu, GpuTensor, Program};
use crate::util::host_rng::HostRng;

/// f32's unit roundoff, 2^-24.
const UNIT: f64 = 1.0 / 16_777_216.0;
/// ULPs allowed per sqrt(reduction length): the CPU reference's own f32 rounding and the
/// GPU's, with room for division and sqrt at 2.5 ULP and inverseSqrt at 2 ULP.
pub const ULPS: f64 = 256.0;
/// WGSL's absolute bound for sin and cos on [-pi, pi], relative to outputs of size 1.
pub const SIN_COS: f64 = 1.0 / 2048.0;

/// One comparison of a family: which output, its normwise error and its bound.
#[derive(Clone, Debug)]
pub struct Measure {
    pub what: String,
    pub err: f64,
    pub bound: f64,
}

impl Measure {
    pub fn passed(&self) -> bool {
        self.err <= self.bound
    }
}

/// The bound for an output each of whose values sums `len` terms, plus `floor` for
/// transcendentals with an absolute WGSL bound (relative to the output's largest value).
pub fn bound(len: usize, floor: f64) -> f64 {
    ULPS * UNIT * (len.max(1) as f64).sqrt() + floor
}

/// max |got - want| / max |want|; infinite for NaN, infinity or a length mismatch.
pub fn normwise(got: &[f32], want: &[f32]) -> f64 {
    if got.len() != want.len() {
        return f64::INFINITY;
    }
    let scale = want.iter().fold(0.0f64, |m, w| m.max((*w as f64).abs()));
    let mut worst = 0.0f64;
    for (g, w) in got.iter().zip(want) {
        let d = (*g as f64 - *w as f64).abs();
        if !d.is_finite() {
            return f64::INFINITY;
        }
        worst = worst.max(d);
    }
    worst / scale.max(f64::MIN_POSITIVE)
}

/// What a family check works with: the device, seeded host data and the comparisons so far.
/// `sabotage` scales every GPU result it reads by 1.01 (a percent-level error): the tests use
/// it to show that each family's bounds catch a broken kernel.
pub struct Probe<'a> {
    pub gpu: &'a Gpu,
    pub rng: HostRng,
    sabotage: bool,
    pub measures: Vec<Measure>,
}

impl<'a> Probe<'a> {
    pub fn new(gpu: &'a Gpu, seed: u64, sabotage: bool) -> Self {
        Probe {
            gpu,
            rng: HostRng::new(seed),
            sabotage,
            measures: Vec::new(),
        }
    }

    /// `n` standard normals.
    pub fn normal(&mut self, n: usize) -> Vec<f32> {
        self.rng.vec_normal(n)
    }

    /// `n` standard normals and their GPU copy of shape `shape`.
    pub fn filled(&mut self, shape: &[usize]) -> (Vec<f32>, GpuTensor) {
        let host = self.normal(shape.iter().product());
        let dev = self.gpu.upload(&host, shape);
        (host, dev)
    }

    pub fn zeros(&self, shape: &[usize]) -> GpuTensor {
        self.gpu.zeros(shape)
    }

    /// Records `dispatches` into one program and runs it to completion.
    pub fn run(&self, dispatches: impl IntoIterator<Item = crate::gpu::Dispatch>) {
        let mut prog = Program::new();
        prog.extend(dispatches);
        prog.run(self.gpu);
    }

    /// The GPU values of `t` (perturbed when sabotaged).
    pub fn read(&self, t: &GpuTensor) -> Vec<f32> {
        let v = self.gpu.read(t);
        if self.sabotage {
            v.iter().map(|x| x * 1.01).collect()
        } else {
            v
        }
    }

    /// Compares `got` with `want` under `bound`.
    pub fn compare(&mut self, what: &str, got: &[f32], want: &[f32], bound: f64) {
        self.measures.push(Measure {
            what: what.to_string(),
            err: normwise(got, want),
            bound,
        });
    }

    /// Reads `t` and compares it with `want`.
    pub fn check(&mut self, what: &str, t: &GpuTensor, want: &[f32], bound: f64) {
        let got = self.read(t);
        self.compare(what, &got, want, bound);
    }

    /// Integer outputs (Philox words, timesteps) must match exactly: error 0 or 1.
    pub fn check_u32(&mut self, what: &str, t: &GpuTensor, want: &[u32]) {
        let mut got = self.gpu.read_u32(t);
        if self.sabotage {
            got.iter_mut().for_each(|g| *g ^= 1);
        }
        let err = if got == want { 0.0 } else { 1.0 };
        self.measures.push(Measure {
            what: what.to_string(),
            err,
            bound: 0.0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normwise_is_relative_to_the_largest_value_and_catches_nan() {
        assert_eq!(normwise(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
        assert!((normwise(&[1.0, 2.02], &[1.0, 2.0]) - 0.01).abs() < 1e-6);
        assert_eq!(normwise(&[f32::NAN], &[1.0]), f64::INFINITY);
        assert_eq!(normwise(&[1.0], &[1.0, 2.0]), f64::INFINITY);
    }

    #[test]
    fn bounds_stay_below_a_percent_for_the_reductions_checked() {
        // The longest reduction in a check is below 4096 terms.
        assert!(bound(4096, SIN_COS) < 1e-2);
        assert!(bound(1, 0.0) > 1e-5);
    }
}
