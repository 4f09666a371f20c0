//! Noise schedules, computed in f64 on the CPU (docs/design.md section 2) and uploaded as f32.

use anyhow::{bail, Result};

pub use crate::kernels::schedule_table::{ScheduleTable, TABLE_COLS};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleKind {
    /// beta_t = linspace(1e-4, 0.02, T).
    Linear,
    /// Nichol & Dhariwal 2021: abar_t = f(t)/f(0), f(t) = cos(((t/T + s)/(1 + s)) pi/2)^2,
    /// s = 0.008, betas clipped to 0.999 (abar is then the product of the clipped alphas).
    Cosine,
}

/// A noise schedule: its kind and T, and (through `Deref`) its coefficient table
/// `beta`, `alpha`, `abar` indexed 0..=T, which the kernels' CPU references take.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub kind: ScheduleKind,
    pub t_max: usize,
    pub table: ScheduleTable,
}

impl std::ops::Deref for Schedule {
    type Target = ScheduleTable;

    fn deref(&self) -> &ScheduleTable {
        &self.table
    }
}

/// The largest T a schedule is built for.
pub const MAX_T: usize = 1 << 20;

impl Schedule {
    pub fn new(kind: ScheduleKind, t_max: usize) -> Result<Schedule> {
        if t_max < 2 {
            bail!("diffusion needs at least 2 timesteps (T >= 2), got T = {t_max}");
        }
        // The tables take (T + 1) f64 values each, so a T read from a corrupt checkpoint
        // must not size them unchecked; a million steps is far past any real schedule.
        if t_max > MAX_T {
            bail!("T = {t_max} is too large (at most {MAX_T})");
        }
        let tf = t_max as f64;
        let mut beta = vec![0.0f64; t_max + 1];
        match kind {
            ScheduleKind::Linear => {
                let (b1, bt) = (1e-4, 0.02);
                for (t, b) in beta.iter_mut().enumerate().skip(1) {
                    *b = b1 + (bt - b1) * (t - 1) as f64 / (tf - 1.0);
                }
            }
            ScheduleKind::Cosine => {
                let s = 0.008;
                let f = |t: f64| {
                    (((t / tf + s) / (1.0 + s)) * std::f64::consts::FRAC_PI_2)
                        .cos()
                        .powi(2)
                };
                for (t, b) in beta.iter_mut().enumerate().skip(1) {
                    let t = t as f64;
                    *b = (1.0 - f(t) / f(t - 1.0)).min(0.999);
                }
            }
        }
        let alpha: Vec<f64> = beta.iter().map(|b| 1.0 - b).collect();
        let mut abar = vec![1.0f64; t_max + 1];
        for t in 1..=t_max {
            abar[t] = abar[t - 1] * alpha[t];
        }
        Ok(Schedule {
            kind,
            t_max,
            table: ScheduleTable { beta, alpha, abar },
        })
    }
}
