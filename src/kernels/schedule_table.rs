//! The per-timestep coefficients of a noise schedule, as the kernels see them: the f64
//! columns the CPU references read, and the f32 table the shaders read. Computing them is
//! the job of the diffusion module's schedule; this module only holds them, so the kernels
//! need nothing above `gpu`.

use crate::gpu::GpuTensor;

/// Indexed 0..=T: `beta[0] = 0`, `alpha[0] = 1`, `abar[0] = 1`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleTable {
    pub beta: Vec<f64>,
    pub alpha: Vec<f64>,
    pub abar: Vec<f64>,
}

/// Columns of [`ScheduleTable::gpu_table`], one row of 4 f32 per t in 0..=T.
pub const TABLE_COLS: usize = 4;

impl ScheduleTable {
    /// Flat f32 [T+1][4] table: (beta_t, alpha_t, abar_t, 1 - abar_t) per row t = 0..=T.
    /// `1 - abar_t` is rounded from f64 rather than left to the kernels, because near t = 1 it
    /// is ~1e-4 and `1 - f32(abar)` would lose three digits; the kernels derive
    /// beta_tilde_t = beta_t (1 - abar_{t-1}) / (1 - abar_t) from these columns.
    pub fn gpu_table(&self) -> Vec<f32> {
        (0..self.beta.len())
            .flat_map(|t| {
                [
                    self.beta[t] as f32,
                    self.alpha[t] as f32,
                    self.abar[t] as f32,
                    (1.0 - self.abar[t]) as f32,
                ]
            })
            .collect()
    }
}

/// The T of `table`, a [`ScheduleTable::gpu_table`] tensor f32 [T+1, 4] with T >= 2, as the
/// step kernels read it.
#[track_caller]
pub fn table_steps(op: &str, table: &GpuTensor) -> usize {
    assert!(
        table.len().is_multiple_of(TABLE_COLS) && table.len() >= 3 * TABLE_COLS,
        "{op}: table has shape {:?}, want f32 [T+1, 4] with T >= 2",
        table.shape
    );
    table.len() / TABLE_COLS - 1
}
