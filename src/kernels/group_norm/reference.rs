//! CPU references of the group_norm kernels: the shared norm references
//! (`src/kernels/norm_reference.rs`) with an (image, group) per population.

use super::{GnShape, GN_EPS};
use crate::kernels::norm_reference::{norm_backward_cpu, norm_cpu, norm_f64, NormLayout};

impl NormLayout for GnShape {
    const OP: &'static str = "group_norm";
    const EPS: f32 = GN_EPS;

    fn values(&self) -> usize {
        self.len()
    }

    fn populations(&self) -> usize {
        self.rows()
    }

    fn channels(&self) -> usize {
        self.c
    }

    fn at(&self, i: usize) -> (usize, usize) {
        (i / self.m(), (i / self.hw) % self.c)
    }
}

/// Forward in f64 (reference for finite differences): y only.
pub fn group_norm_f64(s: &GnShape, x: &[f64], gamma: &[f64], beta: &[f64]) -> Vec<f64> {
    norm_f64(s, x, gamma, beta)
}

/// CPU reference of `group_norm` (computed in f64): (y, mean, rstd).
pub fn group_norm_cpu(
    s: &GnShape,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    norm_cpu(s, x, gamma, beta)
}

/// CPU reference of `group_norm_backward` (computed in f64): the plain gradients (dx,
/// dgamma, dbeta), not accumulated.
pub fn group_norm_backward_cpu(
    s: &GnShape,
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    rstd: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    norm_backward_cpu(s, x, gamma, mean, rstd, dy)
}
