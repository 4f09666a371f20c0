//! Noise schedules, computed in f64 on the CPU (DESIGN section 2) and uploaded as f32.

use anyhow::{bail, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleKind {
    /// beta_t = linspace(1e-4, 0.02, T).
    Linear,
    /// Nichol & Dhariwal 2021: abar_t = f(t)/f(0), f(t) = cos(((t/T + s)/(1 + s)) pi/2)^2,
    /// s = 0.008, betas clipped to 0.999 (abar is then the product of the clipped alphas).
    Cosine,
}

/// Indexed 0..=T: `beta[0] = 0`, `alpha[0] = 1`, `abar[0] = 1`.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub kind: ScheduleKind,
    pub t_max: usize,
    pub beta: Vec<f64>,
    pub alpha: Vec<f64>,
    pub abar: Vec<f64>,
}

/// Columns of [`Schedule::gpu_table`], one row of 4 f32 per t in 0..=T.
pub const TABLE_COLS: usize = 4;

impl Schedule {
    pub fn new(kind: ScheduleKind, t_max: usize) -> Result<Schedule> {
        if t_max < 2 {
            bail!("diffusion needs at least 2 timesteps (T >= 2), got T = {t_max}");
        }
        if t_max > u32::MAX as usize / 2 {
            bail!("T = {t_max} is too large");
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
            beta,
            alpha,
            abar,
        })
    }

    /// Posterior variance beta_tilde_t = beta_t (1 - abar_{t-1}) / (1 - abar_t) (0 at t = 0).
    pub fn beta_tilde(&self, t: usize) -> f64 {
        if t == 0 {
            0.0
        } else {
            self.beta[t] * (1.0 - self.abar[t - 1]) / (1.0 - self.abar[t])
        }
    }

    /// Flat f32 [T+1][4] table: (beta_t, alpha_t, abar_t, 1 - abar_t) per row t = 0..=T.
    /// `1 - abar_t` is rounded from f64 rather than left to the kernels, because near t = 1 it
    /// is ~1e-4 and `1 - f32(abar)` would lose three digits; the kernels derive
    /// beta_tilde_t = beta_t (1 - abar_{t-1}) / (1 - abar_t) from these columns.
    pub fn gpu_table(&self) -> Vec<f32> {
        (0..=self.t_max)
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
