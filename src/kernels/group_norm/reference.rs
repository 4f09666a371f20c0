//! CPU references of the group_norm kernels: the shared norm references
//! (`src/kernels/norm_reference.rs`) with an (image, group) per population, under the op's
//! names: `group_norm_f64` (y in f64, for finite differences), `group_norm_cpu` ((y, mean,
//! rstd)) and `group_norm_backward_cpu` (the plain gradients (dx, dgamma, dbeta), not
//! accumulated).

use super::{GnShape, GN_EPS};
use crate::kernels::norm_reference::NormLayout;
pub use crate::kernels::norm_reference::{
    norm_backward_cpu as group_norm_backward_cpu, norm_cpu as group_norm_cpu,
    norm_f64 as group_norm_f64,
};

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
