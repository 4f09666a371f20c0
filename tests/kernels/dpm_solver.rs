//! DPM-Solver++ 2M: the step kernel and its backward against the f64 CPU references (bounds
//! from `tol::Tracked`: the kernel's only arithmetic is a few products and sums of f32-rounded
//! coefficients), the coefficient table against diffusers' algorithm written out, the
//! timesteps against numpy, and the composed steps against finite differences.

use wgpu_ddpm::diffusion::sampler::linspace_timesteps;
use wgpu_ddpm::diffusion::{Prediction, Schedule, ScheduleKind};
use wgpu_ddpm::gpu::GpuTensor;
use wgpu_ddpm::kernels::dpm_solver::*;

use crate::common::tol::{assert_within, Tracked, U};
use crate::common::*;
use crate::elementwise_support::*;

use wgpu_ddpm::diffusion::sampler::{sample_cpu, Sampler, SamplerConfig, SamplerKind};
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::gaussian_eps::{gaussian_eps, gaussian_eps_cpu};

/// (n, chw): odd lengths, one element, and more than one workgroup of 256.
const SHAPES: [(usize, usize); 3] = [(3, 35), (1, 1), (3, 101)];

struct Table {
    s: Schedule,
    ts: Vec<u32>,
    coef: Vec<DpmCoef>,
    dev: GpuTensor,
}

fn table(kind: ScheduleKind, t_max: usize, steps: usize) -> Table {
    let s = Schedule::new(kind, t_max).unwrap();
    let ts = linspace_timesteps(t_max, steps);
    let coef = dpm_coefficients(&s.abar, &ts);
    let dev = gpu().upload(&gpu_coefficients(&coef), &[steps, COEF_FLOATS]);
    Table { s, ts, coef, dev }
}

fn step(t: &Table, pred: Prediction, clip: bool, k: usize) -> DpmStep {
    DpmStep {
        pred,
        clip_x0: clip,
        coef: t.dev.clone(),
        state: gpu().upload_u32(&[k as u32, 7, 0, 0], &[4]),
    }
}

/// The kernel's (d/dx, d/dout) of the predicted x0 as the f32 values it holds, tracked.
fn x0_coef(c: &DpmCoef, pred: Prediction) -> (Tracked, Tracked) {
    let held = |v: f64| Tracked::held(v as f32, v);
    match pred {
        Prediction::Eps => (held(1.0 / c.alpha_s), held(-c.sigma_s / c.alpha_s)),
        Prediction::X0 => (Tracked::exact(0.0), Tracked::exact(1.0)),
        Prediction::V => (held(c.alpha_s), held(-c.sigma_s)),
    }
}

/// Model outputs whose predicted x0 stays 0.05 away from the clamp's kinks at +-1, so that
/// the f32 kernel and the f64 reference clamp the same elements.
fn inputs(len: usize, c: &DpmCoef, pred: Prediction, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = HostRng::new(seed);
    let x: Vec<f32> = rng.vec_normal(len).iter().map(|v| 1.5 * v).collect();
    let mut out = rng.vec_normal(len);
    let (q, r) = x0_coef(c, pred);
    for (x, o) in x.iter().zip(out.iter_mut()) {
        if ((q.v * *x as f64 + r.v * *o as f64).abs() - 1.0).abs() < 0.05 {
            *o += (0.2 / r.v) as f32;
        }
    }
    (x, out)
}

#[test]
fn dpm_solver_matches_cpu() {
    let gpu = gpu();
    for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
        let t = table(kind, 1000, 10);
        // First order (k = 0), second order (k = 1, 5) and the last step onto t = 0.
        for (i, k) in [0usize, 1, 5, 9].into_iter().enumerate() {
            let c = &t.coef[k];
            for pred in Prediction::ALL {
                for clip in [false, true] {
                    let (n, chw) = SHAPES[i % SHAPES.len()];
                    let len = n * chw;
                    let (x, out) = inputs(len, c, pred, k as u64);
                    let prev = HostRng::new(k as u64 + 50).vec_normal(len);
                    let (xg, og, pg) = (
                        upload(&gpu, &x, &[n, chw]),
                        upload(&gpu, &out, &[n, chw]),
                        upload(&gpu, &prev, &[n, chw]),
                    );
                    let st = step(&t, pred, clip, k);
                    run(&gpu, [dpm_solver(&gpu, n, chw, &st, &og, &xg, &pg)]);
                    let (want_x, want_x0) = dpm_solver_cpu(c, pred, clip, &x, &out, &prev);
                    let (mut bx, mut b0) = (vec![], vec![]);
                    for e in 0..len {
                        let (q, r) = x0_coef(c, pred);
                        let mut d0 = q
                            .mul(Tracked::exact(x[e]))
                            .add(r.mul(Tracked::exact(out[e])));
                        if clip {
                            d0.v = d0.v.clamp(-1.0, 1.0); // 1-Lipschitz: the error stays
                        }
                        let held = |v: f64| Tracked::held(v as f32, v);
                        let mut v = held(c.a).mul(Tracked::exact(x[e])).add(held(c.c0).mul(d0));
                        if c.c1 != 0.0 {
                            v = v.add(held(c.c1).mul(Tracked::exact(prev[e])));
                        }
                        // Plus the reference's own rounding to f32.
                        bx.push(v.e + U * v.v.abs());
                        b0.push(d0.e + U * d0.v.abs());
                    }
                    let what = format!("dpm_solver {kind:?} k {k} {pred} clip {clip}");
                    assert_within(&format!("{what} x"), &gpu.read(&xg), &want_x, &bx);
                    assert_within(&format!("{what} x0"), &gpu.read(&pg), &want_x0, &b0);
                }
            }
        }
    }
}

#[test]
fn first_step_ignores_x0_prev_and_last_step_lands_on_x0() {
    // On a first-order step x0_prev is never read (NaN there must not leak); the last step
    // (sigma_t = 0, lambda_t = inf) returns the predicted x0 exactly, with no NaN.
    let gpu = gpu();
    let t = table(ScheduleKind::Cosine, 100, 4);
    assert_eq!(t.ts, vec![100, 75, 51, 26, 0]);
    let last = &t.coef[3];
    assert_eq!((last.a, last.c0, last.c1), (0.0, 1.0, 0.0));
    for k in [0usize, 3] {
        let (x, out) = (vec![0.4f32; 7], vec![-0.3f32; 7]);
        let (xg, og, pg) = (
            upload(&gpu, &x, &[7]),
            upload(&gpu, &out, &[7]),
            upload(&gpu, &[f32::NAN; 7], &[7]),
        );
        let st = step(&t, Prediction::Eps, false, k);
        run(&gpu, [dpm_solver(&gpu, 1, 7, &st, &og, &xg, &pg)]);
        let (got, x0) = (gpu.read(&xg), gpu.read(&pg));
        assert!(got.iter().all(|v| v.is_finite()), "k {k}: {got:?}");
        if k == 3 {
            assert_eq!(got, x0, "the last step's x is its predicted x0");
        }
    }
}

#[test]
fn timesteps_follow_diffusers_linspace() {
    // numpy: linspace(0, T - 1, N + 1).round()[::-1][:-1] + 1 (our t is diffusers' + 1).
    let cases: [(usize, usize, &[u32]); 5] = [
        (
            1000,
            10,
            &[1000, 900, 800, 700, 600, 501, 401, 301, 201, 101],
        ),
        (1000, 7, &[1000, 857, 715, 572, 429, 286, 144]),
        (50, 4, &[50, 38, 25, 13]),
        (2, 1, &[2]),
        (
            1000,
            20,
            &[1000, 950, 900, 850, 800, 750, 700, 650, 600, 550, 501, 451],
        ),
    ];
    for (t_max, n, head) in cases {
        let ts = linspace_timesteps(t_max, n);
        assert_eq!(ts.len(), n + 1);
        assert_eq!(&ts[..head.len()], head, "T {t_max} N {n}");
        assert_eq!(*ts.last().unwrap(), 0);
        assert!(
            ts.windows(2).all(|w| w[0] > w[1]),
            "T {t_max} N {n}: {ts:?}"
        );
    }
    // The most steps the spacing allows (T - 1) still never repeats a timestep.
    let ts = linspace_timesteps(1000, 999);
    assert!(ts.windows(2).all(|w| w[0] > w[1]));
}

/// diffusers' `DPMSolverMultistepScheduler.step` (dpmsolver++, order 2, midpoint,
/// lower_order_final, final_sigmas_type "zero") written out as it computes it: through
/// sigma = sqrt((1 - abar) / abar), alpha_t = 1 / sqrt(sigma^2 + 1), sigma_t = sigma alpha_t,
/// with its list of model outputs and lower_order_nums.
fn diffusers_2m(s: &Schedule, ts: &[u32], x_t: f64, model: impl Fn(f64, usize) -> f64) -> f64 {
    let sig = |t: u32| {
        if t == 0 {
            0.0
        } else {
            ((1.0 - s.abar[t as usize]) / s.abar[t as usize]).sqrt()
        }
    };
    let a_s = |sigma: f64| {
        let a = 1.0 / (sigma * sigma + 1.0).sqrt();
        (a, sigma * a)
    };
    let lam = |(a, s): (f64, f64)| a.ln() - s.ln();
    let (mut x, mut outs, mut lower) = (x_t, Vec::<f64>::new(), 0);
    let n = ts.len() - 1;
    for i in 0..n {
        let (alpha_s0, sigma_s0) = a_s(sig(ts[i]));
        let m0 = (x - sigma_s0 * model(x, ts[i] as usize)) / alpha_s0;
        outs.push(m0);
        let (alpha_t, sigma_t) = a_s(sig(ts[i + 1]));
        let h = lam((alpha_t, sigma_t)) - lam((alpha_s0, sigma_s0));
        let lower_order_final = i == n - 1; // final_sigmas_type "zero"
        x = if lower < 1 || lower_order_final {
            (sigma_t / sigma_s0) * x - (alpha_t * ((-h).exp() - 1.0)) * m0
        } else {
            let h0 = lam((alpha_s0, sigma_s0)) - lam(a_s(sig(ts[i - 1])));
            let r0 = h0 / h;
            let d1 = (1.0 / r0) * (m0 - outs[i - 1]);
            (sigma_t / sigma_s0) * x
                - (alpha_t * ((-h).exp() - 1.0)) * m0
                - 0.5 * (alpha_t * ((-h).exp() - 1.0)) * d1
        };
        lower = (lower + 1).min(2);
    }
    x
}

#[test]
fn composition_matches_diffusers_algorithm() {
    // The CPU composition of dpm_solver_cpu steps vs diffusers' own bookkeeping, in f64, on
    // the closed-form Gaussian-data predictor; they differ only by f32 storage of x and x0
    // between steps.
    for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
        for n in [1usize, 2, 5, 20] {
            let t = table(kind, 1000, n);
            let model = |x: f64, tt: usize| gaussian_eps_cpu(&t.s, tt, x, 0.3, 0.5);
            for x_t in [-1.7f32, 0.2, 2.5] {
                let want = diffusers_2m(&t.s, &t.ts, x_t as f64, model);
                let (mut x, mut x0) = (vec![x_t], vec![0.0f32]);
                for k in 0..n {
                    let out = [model(x[0] as f64, t.ts[k] as usize) as f32];
                    (x, x0) = dpm_solver_cpu(&t.coef[k], Prediction::Eps, false, &x, &out, &x0);
                }
                // x and the model output pass through f32 between our steps: U of values
                // below ~3, amplified by the eps -> x0 conversion's 1 / alpha_s <= 1 / alpha_T.
                let tol = 1e-6 * (1.0 + 1.0 / t.coef[0].alpha_s);
                assert!(
                    (x[0] as f64 - want).abs() < tol,
                    "{kind:?} N {n} x_T {x_t}: ours {} diffusers {want}, tol {tol:.1e}",
                    x[0]
                );
            }
        }
    }
}

#[test]
fn dpm_solver_backward_matches_cpu() {
    let gpu = gpu();
    for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
        let t = table(kind, 1000, 10);
        for (i, k) in [0usize, 1, 5, 9].into_iter().enumerate() {
            let c = &t.coef[k];
            for pred in Prediction::ALL {
                for clip in [false, true] {
                    let (n, chw) = SHAPES[i % SHAPES.len()];
                    let len = n * chw;
                    let (x, out) = inputs(len, c, pred, k as u64 + 9);
                    let mut rng = HostRng::new(k as u64 + 70);
                    let [g, g0, dx, dout] = [(); 4].map(|_| Filled::normal(&mut rng, &[n, chw]));
                    let (xg, og) = (upload(&gpu, &x, &[n, chw]), upload(&gpu, &out, &[n, chw]));
                    let st = step(&t, pred, clip, k);
                    run(
                        &gpu,
                        [dpm_solver_backward(
                            &gpu, n, chw, &st, &g.dev, &xg, &og, &g0.dev, &dx.dev, &dout.dev,
                        )],
                    );
                    let (fx, fo, fp) =
                        dpm_solver_backward_cpu(c, pred, clip, &g.host, &g0.host, &x, &out);
                    let held = |v: f64| Tracked::held(v as f32, v);
                    let (q, r) = x0_coef(c, pred);
                    let mut bounds = [vec![], vec![], vec![]];
                    let mut want = [vec![], vec![], vec![]];
                    for e in 0..len {
                        let ge = Tracked::exact(g.host[e]);
                        let mut gd = held(c.c0).mul(ge).add(Tracked::exact(g0.host[e]));
                        let d0 = q.v * x[e] as f64 + r.v * out[e] as f64;
                        if clip && d0.abs() > 1.0 {
                            gd = Tracked::exact(0.0);
                        }
                        let vals = [
                            Tracked::exact(dx.host[e])
                                .add(held(c.a).mul(ge))
                                .add(q.mul(gd)),
                            Tracked::exact(dout.host[e]).add(r.mul(gd)),
                            held(c.c1).mul(ge),
                        ];
                        let before = [dx.host[e], dout.host[e], 0.0];
                        let fresh = [fx[e], fo[e], fp[e]];
                        for j in 0..3 {
                            // The reference's fresh value and the sum are each rounded to f32.
                            let w = before[j] + fresh[j];
                            want[j].push(w);
                            bounds[j].push(vals[j].e + U * (fresh[j].abs() + w.abs()) as f64);
                        }
                    }
                    let what = format!("dpm_solver_backward {kind:?} k {k} {pred} clip {clip}");
                    for (j, (name, got)) in [("dx", &dx.dev), ("dout", &dout.dev), ("g0", &g0.dev)]
                        .into_iter()
                        .enumerate()
                    {
                        assert_within(
                            &format!("{what} {name}"),
                            &gpu.read(got),
                            &want[j],
                            &bounds[j],
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn composed_steps_backward_matches_finite_differences() {
    // Two second-order steps k, k + 1 chained as the sampler runs them (the x0 of step k is
    // step k + 1's x0_prev), L = sum w x'' + sum w0 D0'': the backward references run in
    // reverse (g0 carried between them) against central differences of the f64 steps, in
    // every input: x, both model outputs and the x0_prev entering step k.
    let len = 9;
    for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
        let t = table(kind, 100, 8);
        let (k, c1, c2) = (3, &t.coef[3], &t.coef[4]);
        assert!(c1.c1 != 0.0 && c2.c1 != 0.0, "both steps second order");
        for pred in Prediction::ALL {
            for clip in [false, true] {
                let (x, o1) = inputs(len, c1, pred, 5);
                // Keep step k + 1's x0 off the clamp's kinks too (it moves with o2 only for
                // x0 prediction; for the others shift the output away from them).
                let mut o2 = HostRng::new(6).vec_normal(len);
                let mut rng = HostRng::new(7);
                let prev = rng.vec_normal(len);
                let (w, w0) = (rng.vec_normal(len), rng.vec_normal(len));
                let f = |[x, o1, o2, p]: [&[f64]; 4]| -> f64 {
                    (0..len)
                        .map(|e| {
                            let (x1, d1) = dpm_step(c1, pred, clip, x[e], o1[e], p[e]);
                            let (x2, d2) = dpm_step(c2, pred, clip, x1, o2[e], d1);
                            w[e] as f64 * x2 + w0[e] as f64 * d2
                        })
                        .sum()
                };
                for e in 0..len {
                    let (x1, _) =
                        dpm_step(c1, pred, clip, x[e] as f64, o1[e] as f64, prev[e] as f64);
                    let (q, r) = x0_coef(c2, pred);
                    if ((q.v * x1 + r.v * o2[e] as f64).abs() - 1.0).abs() < 0.05 {
                        o2[e] += (0.2 / r.v) as f32;
                    }
                }
                let mut grads = [vec![], vec![], vec![], vec![]];
                for e in 0..len {
                    let (xf, o1f, o2f, pf) =
                        (x[e] as f64, o1[e] as f64, o2[e] as f64, prev[e] as f64);
                    let (x1, _) = dpm_step(c1, pred, clip, xf, o1f, pf);
                    let (gx1, go2, g0) =
                        dpm_step_backward(c2, pred, clip, (w[e] as f64, w0[e] as f64), x1, o2f);
                    let (gx, go1, gp) = dpm_step_backward(c1, pred, clip, (gx1, g0), xf, o1f);
                    for (j, v) in [gx, go1, go2, gp].into_iter().enumerate() {
                        grads[j].push(v as f32);
                    }
                }
                fd_check_partials(
                    &format!("dpm steps {k},{} {kind:?} {pred} clip {clip}", k + 1),
                    [&f64s(&x), &f64s(&o1), &f64s(&o2), &f64s(&prev)],
                    1e-5,
                    f,
                    [
                        ("x", &grads[0], 1e-4, 1e-4),
                        ("out k", &grads[1], 1e-4, 1e-4),
                        ("out k+1", &grads[2], 1e-4, 1e-4),
                        ("x0_prev", &grads[3], 1e-4, 1e-4),
                    ],
                );
            }
        }
    }
}

fn dpm_cfg(steps: usize, clip_x0: bool, seed: u64) -> SamplerConfig {
    SamplerConfig {
        kind: SamplerKind::DpmSolver2M { steps },
        clip_x0,
        seed,
        prediction: Prediction::Eps,
    }
}

#[test]
fn sampler_chain_matches_cpu_composition() {
    // The GPU loop (prepare, Gaussian-data predictor, dpm_solver, advance; no readback
    // until the end) against sample_cpu on the same x_T, as the DDPM/DDIM loop test:
    // errors compound over steps, 5e-4 abs + 5e-4 rel.
    let gpu = gpu();
    let (n, chw, mu, sd) = (3, 37, 0.3f32, 0.5f32);
    for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
        let s = Schedule::new(kind, 50).unwrap();
        let (x, tb, eps) = (gpu.zeros(&[n, chw]), gpu.zeros(&[n]), gpu.zeros(&[n, chw]));
        let tab = gpu.upload(&s.gpu_table(), &[51, 4]);
        let mut model = Program::new();
        model.push(gaussian_eps(&gpu, n, chw, mu, sd, &tab, &tb, &x, &eps));
        for (steps, clip) in [(1, false), (2, false), (7, false), (7, true), (49, false)] {
            let c = dpm_cfg(steps, clip, 11);
            let sampler = Sampler::new(&gpu, &s, c, n, chw, &x, &tb, &eps).unwrap();
            assert_eq!(sampler.timesteps(), &linspace_timesteps(50, steps)[..]);
            let (got, _) = sampler.run(&model, 0, |_, _| {}).unwrap();
            let want = sample_cpu(&s, &c, n * chw, |x, t| {
                x.iter()
                    .map(|v| gaussian_eps_cpu(&s, t, *v as f64, mu as f64, sd as f64) as f32)
                    .collect()
            })
            .unwrap();
            let what = format!("dpm++2m {kind:?} {steps} steps clip {clip}");
            assert_close(&what, &got, &want, 5e-4, 5e-4);
        }
    }
}

#[test]
fn second_order_convergence_on_gaussian_data() {
    // For data N(mu, sd^2) the probability-flow ODE is solved exactly by
    // x_t = sqrt(abar_t) mu + sqrt(abar_t sd^2 + 1 - abar_t) u, u fixed by x_T; the exact
    // predictor makes the step count the only error. Doubling the steps must cut
    // DPM-Solver++ 2M's error by about 4 or more (second order; its last, first-order step
    // onto t = 0 shrinks faster still) where DDIM's only halves, and at 20 and 40 steps it
    // must be at least twice as close as DDIM.
    let (mu, sd) = (0.3f64, 0.5f64);
    for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
        let s = Schedule::new(kind, 1000).unwrap();
        let x_t: Vec<f32> = vec![-2.0, -0.7, 0.4, 1.9];
        let ab = s.abar[1000];
        let exact: Vec<f64> = x_t
            .iter()
            .map(|x| mu + sd * (*x as f64 - ab.sqrt() * mu) / (ab * sd * sd + 1.0 - ab).sqrt())
            .collect();
        let err = |c: SamplerConfig| -> f64 {
            // sample_cpu draws x_T from the seed; run its steps from our x_T instead.
            let ts = c.timesteps(1000).unwrap();
            let model = |x: f64, t: usize| gaussian_eps_cpu(&s, t, x, mu, sd);
            let run_one = |x0: f32| -> f64 {
                match c.kind {
                    SamplerKind::DpmSolver2M { .. } => {
                        let coef = dpm_coefficients(&s.abar, &ts);
                        let (mut x, mut p) = (x0 as f64, 0.0);
                        for (k, c) in coef.iter().enumerate() {
                            let o = model(x, ts[k] as usize);
                            (x, p) = dpm_step(c, Prediction::Eps, false, x, o, p);
                        }
                        x
                    }
                    _ => {
                        let mut x = x0 as f64;
                        for k in 0..ts.len() - 1 {
                            let (a, ap) = (s.abar[ts[k] as usize], s.abar[ts[k + 1] as usize]);
                            let e = model(x, ts[k] as usize);
                            let p = (x - (1.0 - a).sqrt() * e) / a.sqrt();
                            x = ap.sqrt() * p + (1.0 - ap).sqrt() * e;
                        }
                        x
                    }
                }
            };
            x_t.iter()
                .zip(&exact)
                .map(|(x, e)| (run_one(*x) - e).abs())
                .fold(0.0, f64::max)
        };
        let ddim = |steps| SamplerConfig {
            kind: SamplerKind::Ddim { steps, eta: 0.0 },
            ..dpm_cfg(1, false, 0)
        };
        let (d10, d20, d40) = (
            err(dpm_cfg(10, false, 0)),
            err(dpm_cfg(20, false, 0)),
            err(dpm_cfg(40, false, 0)),
        );
        let (i20, i40) = (err(ddim(20)), err(ddim(40)));
        eprintln!(
            "{kind:?}: dpm++2m errors {d10:.2e} {d20:.2e} {d40:.2e}; ddim {i20:.2e} {i40:.2e}"
        );
        assert!(
            d20 / d40 > 3.0,
            "{kind:?}: dpm++2m 20 -> 40 steps: {d20:.2e} -> {d40:.2e}"
        );
        assert!(
            i20 / i40 < 2.6,
            "{kind:?}: ddim 20 -> 40 steps: {i20:.2e} -> {i40:.2e}"
        );
        for (d, i, n) in [(d20, i20, 20), (d40, i40, 40)] {
            assert!(
                d < i / 2.0,
                "{kind:?}: dpm++2m at {n} steps {d:.2e} vs ddim {i:.2e}"
            );
        }
    }
}

#[test]
fn step_counts_and_predictions_are_validated() {
    let err = |c: SamplerConfig| c.validate(50).unwrap_err().to_string();
    assert!(err(dpm_cfg(0, false, 0)).contains("at least 1"));
    let e = err(dpm_cfg(50, false, 0));
    assert!(e.contains("1..=49") && e.contains("T = 50"), "{e}");
    assert!(dpm_cfg(49, false, 0).validate(50).is_ok());
    for pred in Prediction::ALL {
        let dpm = SamplerConfig {
            prediction: pred,
            ..dpm_cfg(10, false, 0)
        };
        assert!(dpm.validate(50).is_ok(), "dpm++2m converts {pred}");
        let ddim = SamplerConfig {
            kind: SamplerKind::Ddim {
                steps: 10,
                eta: 0.0,
            },
            ..dpm
        };
        match pred {
            Prediction::Eps => assert!(ddim.validate(50).is_ok()),
            _ => assert!(err(ddim).contains("--sampler dpm++2m"), "{pred}"),
        }
    }
}
