//! DPM-Solver++ (2M) steps (Lu et al. 2022, "DPM-Solver++"; diffusers'
//! `DPMSolverMultistepScheduler`, dpmsolver++, order 2, midpoint, lower_order_final):
//! `shaders/dpm_solver.wgsl` (model output -> x0 -> multistep update of x in place, keeping
//! x0 for the next step) and `shaders/dpm_solver_backward.wgsl` (its gradient), the per-step
//! coefficients (f64 on the CPU, uploaded once as a table) and the f64 CPU references.

use super::prediction::Prediction;
use super::rng::expect_sampler_state;
use crate::gpu::shape::{expect_disjoint, expect_len};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

/// The coefficients of one step from s = ts[k] to t = ts[k+1], with alpha = sqrt(abar),
/// sigma = sqrt(1 - abar), lambda = log(alpha / sigma), h = lambda_t - lambda_s:
/// x' = a x + c0 D0 + c1 x0_prev, where D0 is the x0 predicted at s and x0_prev the one of
/// the step before.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DpmCoef {
    pub alpha_s: f64,
    pub sigma_s: f64,
    /// sigma_t / sigma_s (0 when t = 0).
    pub a: f64,
    /// First order: alpha_t (1 - exp(-h)) (1 when t = 0, where x' = D0). Second order:
    /// that times (1 + 1 / (2 r0)), r0 = h_prev / h.
    pub c0: f64,
    /// 0 on first-order steps; second order: -alpha_t (1 - exp(-h)) / (2 r0).
    pub c1: f64,
}

/// Floats per step in the GPU table: two rows of 4, see `shaders/dpm_solver.wgsl`.
pub const COEF_FLOATS: usize = 8;

fn lambda(abar: f64) -> f64 {
    0.5 * (abar.ln() - (1.0 - abar).ln())
}

/// The coefficients of every step of the strictly decreasing timestep list `ts` (ending at
/// t = 0, where abar = 1) over the schedule's `abar` [T+1]. The first and the last step are
/// first order (the last lands on sigma = 0, where diffusers always drops to first order);
/// the others are second order, reusing the previous step's x0.
pub fn dpm_coefficients(abar: &[f64], ts: &[u32]) -> Vec<DpmCoef> {
    assert!(
        ts.len() >= 2,
        "dpm_coefficients: ts must hold at least [t, 0]"
    );
    assert!(
        ts.windows(2).all(|w| w[0] > w[1]) && (ts[0] as usize) < abar.len(),
        "dpm_coefficients: ts must decrease strictly from at most T = {}, got {ts:?}",
        abar.len() - 1
    );
    let steps = ts.len() - 1;
    (0..steps)
        .map(|k| {
            let (s, t) = (ts[k] as usize, ts[k + 1] as usize);
            let (alpha_s, sigma_s) = (abar[s].sqrt(), (1.0 - abar[s]).sqrt());
            let (a, b, h) = if t == 0 {
                // sigma_t = 0: lambda_t = inf, exp(-h) = 0, alpha_t = 1, so x' = D0.
                (0.0, 1.0, f64::INFINITY)
            } else {
                let h = lambda(abar[t]) - lambda(abar[s]);
                let b = abar[t].sqrt() * -(-h).exp_m1();
                ((1.0 - abar[t]).sqrt() / sigma_s, b, h)
            };
            let second = k > 0 && k + 1 < steps;
            let (c0, c1) = if second {
                let h_prev = lambda(abar[s]) - lambda(abar[ts[k - 1] as usize]);
                let r0 = h_prev / h;
                (b * (1.0 + 0.5 / r0), -0.5 * b / r0)
            } else {
                (b, 0.0)
            };
            DpmCoef {
                alpha_s,
                sigma_s,
                a,
                c0,
                c1,
            }
        })
        .collect()
}

/// The f32 table the kernels read, [K, 8]: per step (alpha_s, sigma_s, 1 / alpha_s,
/// sigma_s / alpha_s, a, c0, c1, 0), each rounded once from f64.
pub fn gpu_coefficients(coef: &[DpmCoef]) -> Vec<f32> {
    coef.iter()
        .flat_map(|c| {
            [
                c.alpha_s,
                c.sigma_s,
                1.0 / c.alpha_s,
                c.sigma_s / c.alpha_s,
                c.a,
                c.c0,
                c.c1,
                0.0,
            ]
            .map(|v| v as f32)
        })
        .collect()
}

/// One step as both kernels read it: the model output's meaning, the clamp of D0 to
/// [-1, 1], the table `coef` (`gpu_coefficients`, f32 [K, 8]) and `state` = u32
/// [k, seed_lo, seed_hi, 0] (only k is read).
#[derive(Clone, Debug)]
pub struct DpmStep {
    pub pred: Prediction,
    pub clip_x0: bool,
    pub coef: GpuTensor,
    pub state: GpuTensor,
}

crate::uniform! {
    struct Params for dpm_solver, dpm_solver_backward {
        total: u32,
        pred: u32,
        clip: u32,
        pad: u32,
    }
}

crate::bindings! {
    for dpm_solver { coef: read, state: read, net_out: read, x: read_write, x0: read_write }
    for dpm_solver_backward {
        coef: read,
        state: read,
        g2: read,
        x: read,
        net_out: read,
        dx: read_write,
        dout: read_write,
        dprev: read_write,
    }
}

#[track_caller]
fn params(op: &str, len: usize, step: &DpmStep) -> Params {
    assert!(len > 0, "{op}: empty batch");
    let c = step.coef.len();
    assert!(
        c >= COEF_FLOATS && c.is_multiple_of(COEF_FLOATS),
        "{op}: coef has shape {:?}, want f32 [K, {COEF_FLOATS}] with K >= 1",
        step.coef.shape
    );
    expect_sampler_state(op, &step.state);
    Params {
        total: len as u32,
        pred: step.pred.code(),
        clip: step.clip_x0 as u32,
        pad: 0,
    }
}

/// x [n, chw] <- one step of `step` from the model output `out`; `x0` holds the previous
/// step's predicted x0 on entry (read only by second-order steps) and this step's after.
pub fn dpm_solver(
    gpu: &Gpu,
    n: usize,
    chw: usize,
    step: &DpmStep,
    out: &GpuTensor,
    x: &GpuTensor,
    x0: &GpuTensor,
) -> Dispatch {
    let op = "dpm_solver";
    let len = n * chw;
    let p = params(op, len, step);
    for (name, v) in [("out", out), ("x", x), ("x0", x0)] {
        expect_len(op, name, v, len, "[n, chw]");
    }
    expect_disjoint(op, ("out", out), ("x", x));
    expect_disjoint(op, ("out", out), ("x0", x0));
    expect_disjoint(op, ("x", x), ("x0", x0));
    gpu.dispatch(
        op,
        id::dpm_solver,
        "main",
        &p,
        &[&step.coef, &step.state, out, x, x0],
        grid_1d(len),
    )
}

/// Backward of `dpm_solver` (the same `step`) at its inputs `x` and `out`: from `g2` =
/// [dL/dx'; dL/dx0] (f32 [2, n, chw]: the gradients of both outputs, zeros for an x0 nothing
/// used), dx, dout and dprev (of x0_prev) accumulate their gradients. With `clip_x0` the
/// clamp passes gradient only where it is inactive (|x0| <= 1).
pub fn dpm_solver_backward(
    gpu: &Gpu,
    n: usize,
    chw: usize,
    step: &DpmStep,
    g2: &GpuTensor,
    x: &GpuTensor,
    out: &GpuTensor,
    dx: &GpuTensor,
    dout: &GpuTensor,
    dprev: &GpuTensor,
) -> Dispatch {
    let op = "dpm_solver_backward";
    let len = n * chw;
    let p = params(op, len, step);
    expect_len(op, "g2", g2, 2 * len, "[dL/dx'; dL/dx0], [2, n, chw]");
    let all = [("x", x), ("out", out), ("dx", dx), ("dout", dout)];
    for (name, v) in all.into_iter().chain([("dprev", dprev)]) {
        expect_len(op, name, v, len, "[n, chw]");
    }
    expect_disjoint(op, ("dx", dx), ("dout", dout));
    expect_disjoint(op, ("dx", dx), ("dprev", dprev));
    expect_disjoint(op, ("dout", dout), ("dprev", dprev));
    gpu.dispatch(
        op,
        id::dpm_solver_backward,
        "main",
        &p,
        &[&step.coef, &step.state, g2, x, out, dx, dout, dprev],
        grid_1d(len),
    )
}

/// The step's D0 and its pre-clamp partials (dD0/dx, dD0/dout), from `Prediction::x0_eps`;
/// both partials are 0 where the clamp is active.
fn x0_of(c: &DpmCoef, pred: Prediction, clip: bool, x: f64, out: f64) -> (f64, f64, f64) {
    let abar = c.alpha_s * c.alpha_s;
    let d0 = pred.x0_eps(out, x, abar).0;
    let (q, r) = match pred {
        Prediction::Eps => (1.0 / c.alpha_s, -c.sigma_s / c.alpha_s),
        Prediction::X0 => (0.0, 1.0),
        Prediction::V => (c.alpha_s, -c.sigma_s),
    };
    if clip && d0.abs() > 1.0 {
        (d0.clamp(-1.0, 1.0), 0.0, 0.0)
    } else {
        (d0, q, r)
    }
}

/// One element of the step in f64: (x', D0) from x, the model output and x0_prev (not read
/// when c1 = 0).
pub fn dpm_step(
    c: &DpmCoef,
    pred: Prediction,
    clip: bool,
    x: f64,
    out: f64,
    prev: f64,
) -> (f64, f64) {
    let (d0, _, _) = x0_of(c, pred, clip, x, out);
    let from_prev = if c.c1 != 0.0 { c.c1 * prev } else { 0.0 };
    (c.a * x + c.c0 * d0 + from_prev, d0)
}

/// One element of the backward in f64: from g = dL/dx' and g0 = dL/dD0 at (x, out), the
/// gradients (dL/dx, dL/dout, dL/dx0_prev).
pub fn dpm_step_backward(
    c: &DpmCoef,
    pred: Prediction,
    clip: bool,
    (g, g0): (f64, f64),
    x: f64,
    out: f64,
) -> (f64, f64, f64) {
    let (_, q, r) = x0_of(c, pred, clip, x, out);
    let gd = c.c0 * g + g0;
    (c.a * g + q * gd, r * gd, c.c1 * g)
}

/// CPU reference of `dpm_solver`: (x', x0) of the step `c` (x0_prev unused when c1 = 0).
pub fn dpm_solver_cpu(
    c: &DpmCoef,
    pred: Prediction,
    clip: bool,
    x: &[f32],
    out: &[f32],
    x0_prev: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    x.iter()
        .zip(out)
        .zip(x0_prev)
        .map(|((&x, &o), &p)| {
            let (v, d0) = dpm_step(c, pred, clip, x as f64, o as f64, p as f64);
            (v as f32, d0 as f32)
        })
        .unzip()
}

/// CPU reference of `dpm_solver_backward` (`g2` split into g and g0): the fresh (dx, dout,
/// dprev).
pub fn dpm_solver_backward_cpu(
    c: &DpmCoef,
    pred: Prediction,
    clip: bool,
    g: &[f32],
    g0: &[f32],
    x: &[f32],
    out: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut res = (vec![], vec![], vec![]);
    for i in 0..g.len() {
        let grads = (g[i] as f64, g0[i] as f64);
        let (dx, dout, dprev) = dpm_step_backward(c, pred, clip, grads, x[i] as f64, out[i] as f64);
        res.0.push(dx as f32);
        res.1.push(dout as f32);
        res.2.push(dprev as f32);
    }
    res
}
