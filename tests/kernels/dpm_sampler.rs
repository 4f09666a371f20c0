//! DPM-Solver++ 2M as a sampler: the timesteps against numpy, the composed steps against
//! diffusers' algorithm written out, the GPU loop against `sample_cpu`, second-order
//! convergence on Gaussian data, and the configuration checks.

use wgpu_ddpm::diffusion::sampler::{
    linspace_timesteps, sample_cpu, Sampler, SamplerConfig, SamplerKind,
};
use wgpu_ddpm::diffusion::{Prediction, Schedule, ScheduleKind};
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::dpm_solver::*;
use wgpu_ddpm::kernels::gaussian_eps::{gaussian_eps, gaussian_eps_cpu};

use crate::common::*;
use crate::dpm_solver::table;

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
        // denoise converts every prediction too (shaders/denoise_coef.wgsl).
        assert!(ddim.validate(50).is_ok(), "ddim converts {pred}");
    }
}
