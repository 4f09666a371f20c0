//! Reverse-diffusion steps: `shaders/denoise.wgsl` (DDPM and DDIM, in place on x),
//! `shaders/denoise_backward.wgsl` (its gradient, z held fixed; both read their coefficients
//! from the `shaders/denoise_coef.wgsl` library), `shaders/sampler_prepare.wgsl`
//! (t_batch = ts[k]) and `shaders/sampler_advance.wgsl` (k += 1), plus f64 CPU references.

use super::prediction::Prediction;
use super::rng::{expect_sampler_state, normal_cpu, PURPOSE_Z};
use super::schedule_table::{table_steps, ScheduleTable};
use crate::gpu::shape::{expect_disjoint, expect_len};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

/// Which update `denoise` applies (the sampler configuration picks it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DenoiseMode {
    /// DDPM, sigma_t^2 = beta_tilde_t.
    DdpmSmall,
    /// DDPM, sigma_t^2 = beta_t.
    DdpmLarge,
    /// DDIM with eta in [0, 1], stepping from ts[k] to the kept step ts[k+1].
    Ddim { eta: f32 },
}

crate::uniform! {
    struct Params for denoise, denoise_backward {
        len: u32,
        mode: u32,
        clip: u32,
        eta: f32,
        pred: u32,
    }
}

/// One reverse step as both step kernels read it: the update, the schedule table
/// (`ScheduleTable::gpu_table`, [T+1, 4]), the timestep sequence `ts` (u32 [K+1]) and the
/// step's `state` = u32 [k, seed_lo, seed_hi, 0]; the step goes from t = ts[k] to
/// t_prev = ts[k+1]. `pred` says what the model output the step reads means (eps unless
/// set with [`DenoiseStep::predicting`]).
#[derive(Clone, Debug)]
pub struct DenoiseStep {
    pub mode: DenoiseMode,
    pub clip_x0: bool,
    pub pred: Prediction,
    pub table: GpuTensor,
    pub ts: GpuTensor,
    pub state: GpuTensor,
}

impl DenoiseStep {
    /// A step over handles to the given tensors (a `GpuTensor` clone shares its buffer).
    pub fn new(
        mode: DenoiseMode,
        clip_x0: bool,
        table: &GpuTensor,
        ts: &GpuTensor,
        state: &GpuTensor,
    ) -> Self {
        DenoiseStep {
            mode,
            clip_x0,
            pred: Prediction::Eps,
            table: table.clone(),
            ts: ts.clone(),
            state: state.clone(),
        }
    }

    /// The same step for a network that predicts `pred`.
    pub fn predicting(self, pred: Prediction) -> Self {
        DenoiseStep { pred, ..self }
    }
}

/// x [n, chw] <- one `step` using the model output `eps` [n, chw] (the predicted noise, or
/// x0 or v as `step.pred` says); z is keyed (seed, stream k, `PURPOSE_Z`).
pub fn denoise(
    gpu: &Gpu,
    n: usize,
    chw: usize,
    step: &DenoiseStep,
    eps: &GpuTensor,
    x: &GpuTensor,
) -> Dispatch {
    let op = "denoise";
    let len = check_step(op, n, chw, step);
    expect_len(op, "eps", eps, len, "[n, chw]");
    expect_len(op, "x", x, len, "[n, chw]");
    expect_disjoint(op, ("eps", eps), ("x", x));
    let p = step_params(len, step);
    gpu.dispatch(
        "denoise",
        id::denoise,
        "main",
        &p,
        &[&step.table, &step.ts, &step.state, eps, x],
        grid_1d(len.div_ceil(2)),
    )
}

crate::uniform! {
    struct PrepareParams for sampler_prepare {
        n: u32,
    }
}

/// t_batch[i] = ts[state[0]] for i in 0..n.
pub fn sampler_prepare(
    gpu: &Gpu,
    n: usize,
    ts: &GpuTensor,
    state: &GpuTensor,
    t_batch: &GpuTensor,
) -> Dispatch {
    expect_len("sampler_prepare", "t_batch", t_batch, n, "u32 [n]");
    expect_sampler_state("sampler_prepare", state);
    let p = PrepareParams { n: n as u32 };
    gpu.dispatch(
        "sampler_prepare",
        id::sampler_prepare,
        "main",
        &p,
        &[ts, state, t_batch],
        grid_1d(n),
    )
}

crate::uniform! {
    struct AdvanceParams for sampler_advance {
        k_max: u32,
    }
}

crate::bindings! {
    for denoise { table: read, ts: read, state: read, eps: read, x: read_write }
    for denoise_backward {
        table: read,
        ts: read,
        state: read,
        g: read,
        x: read,
        eps: read,
        dx: read_write,
        deps: read_write,
    }
    for sampler_prepare { ts: read, state: read, t_batch: read_write }
    for sampler_advance { state: read_write }
}

/// state[0] = min(state[0] + 1, k_max), one invocation.
pub fn sampler_advance(gpu: &Gpu, k_max: usize, state: &GpuTensor) -> Dispatch {
    expect_sampler_state("sampler_advance", state);
    let p = AdvanceParams {
        k_max: k_max as u32,
    };
    gpu.dispatch(
        "sampler_advance",
        id::sampler_advance,
        "main",
        &p,
        &[state],
        [1, 1, 1],
    )
}

/// One step t -> t_prev for the f64 CPU references: the formulas of docs/design.md section 2,
/// written directly.
#[derive(Clone, Copy, Debug)]
pub struct CpuStep<'a> {
    pub mode: DenoiseMode,
    pub clip_x0: bool,
    /// What the model output means (`at` sets eps; see [`CpuStep::predicting`]).
    pub pred: Prediction,
    pub schedule: &'a ScheduleTable,
    pub t: usize,
    pub tp: usize,
}

impl<'a> CpuStep<'a> {
    /// The step at position k of a timestep list: t = ts[k], t_prev = ts[k+1].
    pub fn at(
        mode: DenoiseMode,
        clip_x0: bool,
        schedule: &'a ScheduleTable,
        ts: &[u32],
        k: usize,
    ) -> Self {
        let (t, tp) = (ts[k] as usize, ts[k + 1] as usize);
        CpuStep {
            mode,
            clip_x0,
            pred: Prediction::Eps,
            schedule,
            t,
            tp,
        }
    }

    /// The same step for a model output that means `pred`.
    pub fn predicting(self, pred: Prediction) -> Self {
        CpuStep { pred, ..self }
    }

    /// The noise eps implied by model output `out` at x_t = `x`, and its partial derivatives
    /// (d eps/dx, d eps/d out).
    fn eps_of(&self, x: f64, out: f64) -> (f64, f64, f64) {
        let abar = self.schedule.abar[self.t];
        let eps = |o, x| self.pred.x0_eps(o, x, abar).1;
        (eps(out, x), eps(0.0, 1.0), eps(1.0, 0.0))
    }

    /// Standard deviation sigma of the step.
    pub fn sigma(&self) -> f64 {
        let (s, t, tp) = (self.schedule, self.t, self.tp);
        match self.mode {
            DenoiseMode::DdpmSmall | DenoiseMode::DdpmLarge if t <= 1 => 0.0,
            DenoiseMode::DdpmSmall => (s.beta[t] * (1.0 - s.abar[tp]) / (1.0 - s.abar[t])).sqrt(),
            DenoiseMode::DdpmLarge => s.beta[t].sqrt(),
            DenoiseMode::Ddim { eta } => {
                let (a, ap) = (s.abar[t], s.abar[tp]);
                eta as f64 * ((1.0 - ap) / (1.0 - a) * (1.0 - a / ap)).max(0.0).sqrt()
            }
        }
    }

    /// x' of the step from x and the model output `out` (eps, x0 or v as `pred` says), with
    /// the given noise z.
    pub fn with_z(&self, x: f64, out: f64, z: f64) -> f64 {
        self.with_z_eps(x, self.eps_of(x, out).0, z)
    }

    /// x' of the step from x and the noise eps the output implies.
    fn with_z_eps(&self, x: f64, eps: f64, z: f64) -> f64 {
        let (s, t, tp) = (self.schedule, self.t, self.tp);
        let sigma = self.sigma();
        let (a, ap) = (s.abar[t], s.abar[tp]);
        let mut x0 = (x - (1.0 - a).sqrt() * eps) / a.sqrt();
        if self.clip_x0 {
            x0 = x0.clamp(-1.0, 1.0);
        }
        match self.mode {
            DenoiseMode::DdpmSmall | DenoiseMode::DdpmLarge => {
                let mean = if self.clip_x0 {
                    ap.sqrt() * s.beta[t] / (1.0 - a) * x0
                        + s.alpha[t].sqrt() * (1.0 - ap) / (1.0 - a) * x
                } else {
                    (x - (1.0 - s.alpha[t]) / (1.0 - a).sqrt() * eps) / s.alpha[t].sqrt()
                };
                mean + sigma * z
            }
            DenoiseMode::Ddim { .. } => {
                ap.sqrt() * x0 + (1.0 - ap - sigma * sigma).max(0.0).sqrt() * eps + sigma * z
            }
        }
    }

    /// Partial derivatives (dx'/dx, dx'/d out) of the step at (x, out), `with_z`
    /// differentiated by hand (z is a constant; eps is linear in (x, out)).
    pub fn partials(&self, x: f64, out: f64) -> (f64, f64) {
        let (eps, ex, eo) = self.eps_of(x, out);
        let (px, pe) = self.partials_eps(x, eps);
        (px + pe * ex, pe * eo)
    }

    /// (dx'/dx, dx'/deps) at (x, eps) with eps an independent input.
    fn partials_eps(&self, x: f64, eps: f64) -> (f64, f64) {
        let (s, t, tp) = (self.schedule, self.t, self.tp);
        let sigma = self.sigma();
        let (a, ap) = (s.abar[t], s.abar[tp]);
        let (q, r) = (1.0 / a.sqrt(), -(1.0 - a).sqrt() / a.sqrt());
        // d(x0)/dx, d(x0)/deps after the optional clamp.
        let live = !self.clip_x0 || (q * x + r * eps).abs() <= 1.0;
        let (qx, rx) = if live { (q, r) } else { (0.0, 0.0) };
        match self.mode {
            DenoiseMode::DdpmSmall | DenoiseMode::DdpmLarge => {
                if self.clip_x0 {
                    let c = ap.sqrt() * s.beta[t] / (1.0 - a);
                    (c * qx + s.alpha[t].sqrt() * (1.0 - ap) / (1.0 - a), c * rx)
                } else {
                    let sa = s.alpha[t].sqrt();
                    (1.0 / sa, -(1.0 - s.alpha[t]) / (1.0 - a).sqrt() / sa)
                }
            }
            DenoiseMode::Ddim { .. } => {
                let dir = (1.0 - ap - sigma * sigma).max(0.0).sqrt();
                (ap.sqrt() * qx, ap.sqrt() * rx + dir)
            }
        }
    }
}

/// CPU reference of `denoise` for the step at position k (`CpuStep::at(.., k)`) with the same
/// z as the GPU (`normal_cpu(seed, k, PURPOSE_Z, e)`).
pub fn denoise_cpu(step: CpuStep, k: usize, seed: u64, x: &[f32], eps: &[f32]) -> Vec<f32> {
    let sigma = step.sigma();
    x.iter()
        .zip(eps)
        .enumerate()
        .map(|(e, (x, ep))| {
            let z = if sigma > 0.0 {
                normal_cpu(seed, k as u64, PURPOSE_Z, e as u32) as f64
            } else {
                0.0
            };
            step.with_z(*x as f64, *ep as f64, z) as f32
        })
        .collect()
}

/// Backward of `denoise` (the same `step`) with the noise z held fixed: from `g` = dL/dx'
/// [n, chw], at the step's input `x` and predicted noise `eps`, dx += dx'/dx g and
/// deps += dx'/deps g (both accumulate). With `clip_x0` the clamp of the predicted x0 passes
/// gradient only where it is inactive (|x0| <= 1).
pub fn denoise_backward(
    gpu: &Gpu,
    n: usize,
    chw: usize,
    step: &DenoiseStep,
    g: &GpuTensor,
    x: &GpuTensor,
    eps: &GpuTensor,
    dx: &GpuTensor,
    deps: &GpuTensor,
) -> Dispatch {
    let op = "denoise_backward";
    let len = check_step(op, n, chw, step);
    for (name, v) in [("g", g), ("x", x), ("eps", eps), ("dx", dx), ("deps", deps)] {
        expect_len(op, name, v, len, "[n, chw]");
    }
    expect_disjoint(op, ("dx", dx), ("deps", deps));
    let p = step_params(len, step);
    gpu.dispatch(
        "denoise_backward",
        id::denoise_backward,
        "main",
        &p,
        &[&step.table, &step.ts, &step.state, g, x, eps, dx, deps],
        grid_1d(len.div_ceil(4)),
    )
}

/// The element count n * chw of a step, after checking the inputs both step kernels read.
#[track_caller]
fn check_step(op: &str, n: usize, chw: usize, step: &DenoiseStep) -> usize {
    assert!(n * chw > 0, "{op}: empty batch");
    table_steps(op, &step.table);
    assert!(step.ts.len() >= 2, "{op}: ts must hold at least [t, 0]");
    expect_sampler_state(op, &step.state);
    n * chw
}

/// The Params both step kernels read (`shaders/denoise_coef.wgsl`).
fn step_params(len: usize, step: &DenoiseStep) -> Params {
    let (m, eta) = mode_words(step.mode);
    Params {
        len: len as u32,
        mode: m,
        clip: step.clip_x0 as u32,
        eta,
        pred: step.pred.code(),
    }
}

fn mode_words(mode: DenoiseMode) -> (u32, f32) {
    match mode {
        DenoiseMode::DdpmSmall => (0, 0.0),
        DenoiseMode::DdpmLarge => (1, 0.0),
        DenoiseMode::Ddim { eta } => (2, eta),
    }
}

/// CPU reference of `denoise_backward`: the fresh gradients (dx, deps) of the step.
pub fn denoise_backward_cpu(
    step: CpuStep,
    g: &[f32],
    x: &[f32],
    eps: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    g.iter()
        .zip(x.iter().zip(eps))
        .map(|(g, (x, e))| {
            let (px, pe) = step.partials(*x as f64, *e as f64);
            ((px * *g as f64) as f32, (pe * *g as f64) as f32)
        })
        .unzip()
}
