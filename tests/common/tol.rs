//! Error bounds that every conformant WebGPU implementation meets, from the WGSL accuracy
//! rules ("Floating Point Accuracy" in the WGSL specification) and the length of each
//! reduction; docs/tolerances.md tabulates which test uses which. A test states what its
//! kernel computes (how many ULP its built-ins may be off, how many terms it sums, how
//! large they are) and asks these functions for the bound, instead of pasting a number
//! that one driver happens to meet.

#![allow(dead_code)]

use wgpu_ddpm::kernels::rng::{philox_at, u01};

/// f32 unit roundoff: a correctly rounded +, - or * is off by at most U times its result.
pub const U: f64 = 1.0 / (1u64 << 24) as f64;
/// One ULP of an f32 relative to the value: ULP(x) <= ULP_REL * |x| for normal x.
pub const ULP_REL: f64 = 2.0 * U;

/// sin, cos: absolute error 2^-11 for arguments in [-pi, pi] (unspecified outside).
pub const SIN_COS_ABS: f64 = 1.0 / 2048.0;
/// log: absolute error 2^-21 for arguments in [0.5, 2], 3 ULP elsewhere.
pub const LOG_ABS_NEAR_1: f64 = 1.0 / (1u64 << 21) as f64;
pub const LOG_ULP: f64 = 3.0;
/// x / y: 2.5 ULP.
pub const DIV_ULP: f64 = 2.5;
/// inverseSqrt: 2 ULP.
pub const INVERSE_SQRT_ULP: f64 = 2.0;
/// sqrt is inherited from 1.0 / inverseSqrt(x): 2 ULP, then a 2.5 ULP division.
pub const SQRT_ULP: f64 = INVERSE_SQRT_ULP + DIV_ULP;

/// exp(x), exp2(x): 3 + 2|x| ULP.
pub fn exp_ulp(x: f64) -> f64 {
    3.0 + 2.0 * x.abs()
}

/// gamma_n = n U / (1 - n U): the relative error of an n-term f32 sum or dot product
/// against the sum of its terms' absolute values, in any summation order and whether or
/// not the adapter fuses a*b+c (WGSL promises neither; Higham, Accuracy and Stability of
/// Numerical Algorithms, section 3.1).
pub fn gamma(n: usize) -> f64 {
    let nu = n as f64 * U;
    assert!(nu < 0.5, "gamma({n}) is meaningless in f32");
    nu / (1.0 - nu)
}

/// The error bound of a value an f32 kernel computes as an `n`-term reduction whose terms'
/// absolute values add up to `mag`, each term carrying `ulps` ULP of its own (from the
/// built-ins, divisions and roundings that made it).
pub fn bound(ulps: f64, n: usize, mag: f64) -> f64 {
    (ulps * ULP_REL + gamma(n)) * mag
}

/// |got - want| <= bound[i] for each element (`approx::abs_diff_eq`), with the first
/// offending index, value and bound in the message.
#[track_caller]
pub fn assert_within(what: &str, got: &[f32], want: &[f32], bounds: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    assert_eq!(got.len(), bounds.len(), "{what}: bounds length");
    for (i, ((g, w), b)) in got.iter().zip(want).zip(bounds).enumerate() {
        assert!(
            g.is_finite() && approx::abs_diff_eq!(*g as f64, *w as f64, epsilon = *b),
            "{what}: index {i}: got {g}, want {w}, |diff| {:.3e} > bound {b:.3e}",
            (*g as f64 - *w as f64).abs()
        );
    }
}

/// How far the shader's Box-Muller normal `index` of (seed, stream, purpose) may lie from
/// the f64 reference `normal_cpu` on the same uniforms u0, u1 (exact in f32):
/// z = r cos(theta) (or sin), r = sqrt(-2 log(u0)), theta = f32(2 pi) * u1.
///  - log(u0): 2^-21 absolute for u0 >= 0.5, else 3 ULP; times -2 is exact: dL.
///  - sqrt of L +- dL moves r by at most min(sqrt(dL), dL / r), then sqrt's 4.5 ULP.
///  - theta: f32(2 pi) is 1.75e-7 off and the product rounds once; cos and sin then add
///    2^-11 absolute. (The shader's theta lies in (0, 2 pi): WGSL specifies sin and cos
///    on [-pi, pi] only; this bound takes the [-pi, pi] accuracy for the whole period.)
///  - the product r * cos rounds once, and so does the reference's f64 result.
pub fn normal_bound(seed: u64, stream: u64, purpose: u32, index: u32) -> f64 {
    let w = philox_at(seed, stream, purpose, index / 2);
    let (u0, u1) = (u01(w[0]) as f64, u01(w[1]) as f64);
    let ln = u0.ln();
    let d_ln = if u0 >= 0.5 {
        LOG_ABS_NEAR_1
    } else {
        LOG_ULP * ULP_REL * ln.abs()
    };
    let big_l = -2.0 * ln;
    let d_l = 2.0 * d_ln;
    let r = big_l.sqrt();
    let dr = d_l.sqrt().min(d_l / r) + SQRT_ULP * ULP_REL * (big_l + d_l).sqrt();
    let theta = std::f64::consts::TAU * u1;
    // The shader evaluates at theta - pi (WGSL bounds sin/cos only on [-pi, pi]): the f32
    // constants' errors, the product's rounding and the subtraction's rounding.
    let d_theta = (6.283_185_5_f32 as f64 - std::f64::consts::TAU).abs() * u1
        + (std::f32::consts::PI as f64 - std::f64::consts::PI).abs()
        + U * theta
        + U * std::f64::consts::PI;
    let d_trig = SIN_COS_ABS + d_theta;
    (r + dr) * d_trig + dr + 2.0 * U * (r + dr) * (1.0 + d_trig)
}

/// `normal_bound` for elements 0..len.
pub fn normal_bounds(seed: u64, stream: u64, purpose: u32, len: usize) -> Vec<f64> {
    (0..len as u32)
        .map(|e| normal_bound(seed, stream, purpose, e))
        .collect()
}

/// Elementwise absolute values: a bilinear reference (a convolution, a matrix product) run
/// on them gives each result's magnitude, the sum of its terms' absolute values.
pub fn abs(v: &[f32]) -> Vec<f32> {
    v.iter().map(|x| x.abs()).collect()
}

/// Bounds of results that an f32 kernel reduces from at most `n` terms each, against a
/// reference rounded once to f32: gamma(n) times each result's magnitude `mag[i]`, plus
/// the reference's own rounding.
pub fn reduction_bounds(n: usize, mag: &[f32]) -> Vec<f64> {
    mag.iter().map(|m| (gamma(n) + U) * *m as f64).collect()
}

/// `reduction_bounds` for a backward kernel that adds its `n`-term result into a buffer
/// that held `before`: one more term, of magnitude |before|.
pub fn accumulate_bounds(n: usize, mag: &[f32], before: &[f32]) -> Vec<f64> {
    let mag: Vec<f32> = mag.iter().zip(before).map(|(m, b)| m + b.abs()).collect();
    reduction_bounds(n + 1, &mag)
}

/// A value that an f32 kernel computes step by step, tracked in f64: `v` the exact result
/// of the same formula on the exact inputs, `e` a bound on how far the kernel's f32 value
/// may lie from it, each operation adding the error WGSL allows it (for chains of
/// elementwise steps such as an optimiser's update, where the errors of m, v and the
/// parameter carry over from one step to the next).
#[derive(Clone, Copy, Debug)]
pub struct Tracked {
    pub v: f64,
    pub e: f64,
}

impl Tracked {
    /// An input the kernel holds exactly.
    pub fn exact(v: f32) -> Self {
        Self {
            v: v as f64,
            e: 0.0,
        }
    }

    /// An input the kernel holds as the f32 `held` of the exact value `v`.
    pub fn held(held: f32, v: f64) -> Self {
        Self {
            v,
            e: (held as f64 - v).abs(),
        }
    }

    fn rounded(v: f64, e: f64, ulps: f64) -> Self {
        Self {
            v,
            e: e + ulps * ULP_REL * (v.abs() + e),
        }
    }

    /// A correctly rounded +, - or *: one rounding, U of the result.
    pub fn add(self, o: Self) -> Self {
        Self::rounded(self.v + o.v, self.e + o.e, 0.5)
    }

    pub fn sub(self, o: Self) -> Self {
        Self::rounded(self.v - o.v, self.e + o.e, 0.5)
    }

    pub fn mul(self, o: Self) -> Self {
        let e = self.v.abs() * o.e + o.v.abs() * self.e + self.e * o.e;
        Self::rounded(self.v * o.v, e, 0.5)
    }

    /// x / y: 2.5 ULP.
    pub fn div(self, o: Self) -> Self {
        let q = self.v / o.v;
        assert!(
            o.e < o.v.abs(),
            "Tracked::div: the divisor's error reaches zero"
        );
        let e = (self.e + q.abs() * o.e) / (o.v.abs() - o.e);
        Self::rounded(q, e, DIV_ULP)
    }

    /// exp: (3 + 2|x|) ULP, after the argument's error moved it by expm1(e).
    pub fn exp(self) -> Self {
        let v = self.v.exp();
        let e = v * self.e.exp_m1();
        Self {
            v,
            e: e + exp_ulp(self.v.abs() + self.e) * ULP_REL * (v + e),
        }
    }

    /// sqrt: 4.5 ULP; an input error e moves the root by at most e / (sqrt(v) + sqrt(v - e)).
    pub fn sqrt(self) -> Self {
        let r = self.v.sqrt();
        let e = if self.e == 0.0 {
            0.0
        } else {
            self.e / (r + (self.v - self.e).max(0.0).sqrt()).max(self.e.sqrt())
        };
        Self::rounded(r, e, SQRT_ULP)
    }
}
