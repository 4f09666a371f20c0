use std::sync::Arc;

use wgpu_ddpm::diffusion::sampler::sample_cpu;
use wgpu_ddpm::diffusion::{Sampler, SamplerConfig, SamplerKind, Schedule, ScheduleKind, Variance};
use wgpu_ddpm::gpu::{Gpu, GpuTensor, Program};
use wgpu_ddpm::kernels::denoise::*;
use wgpu_ddpm::kernels::gaussian_eps::{gaussian_eps, gaussian_eps_cpu};
use wgpu_ddpm::kernels::rng::{normals_cpu, PURPOSE_XT, PURPOSE_Z};

use crate::common::tol::{assert_within, normal_bounds};
use crate::common::*;

const MODES: [DenoiseMode; 5] = [
    DenoiseMode::DdpmSmall,
    DenoiseMode::DdpmLarge,
    DenoiseMode::Ddim { eta: 0.0 },
    DenoiseMode::Ddim { eta: 0.5 },
    DenoiseMode::Ddim { eta: 1.0 },
];

fn state_words(k: usize, seed: u64) -> [u32; 4] {
    [k as u32, seed as u32, (seed >> 32) as u32, 0]
}

#[test]
fn denoise_step_matches_cpu() {
    // f32 kernel vs f64 reference on the same uniforms. The deterministic part: coefficient
    // chains of at most 18 ULP (two sqrt at 4.5, a division at 2.5, products, the f32 table)
    // and 5 terms of magnitude <= 30 (at t = T the predicted-x0 coefficients are
    // 1/sqrt(abar_T) = 157, and the cancelling a = sqrt(abar_p)/sqrt(abar_t) is <= 1.7):
    // tol::bound(18, 5, 30) = 7e-5, within the 1e-4 abs + 1e-4 rel used. Plus sigma times
    // the Box-Muller bound of z.
    let gpu = gpu();
    let (n, chw) = (3, 5 * 7);
    let seed = 0xfeed_beef_0000_0001u64;
    for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
        let s = Schedule::new(kind, 1000).unwrap();
        let table = gpu.upload(&s.gpu_table(), &[1001, 4]);
        for (ts_host, ks) in [
            (
                (0..=1000u32).rev().collect::<Vec<_>>(),
                vec![0usize, 500, 998, 999],
            ),
            (vec![1000, 980, 500, 37, 0], vec![0, 1, 2, 3]),
        ] {
            let ts = gpu.upload_u32(&ts_host, &[ts_host.len()]);
            for mode in MODES {
                if !matches!(mode, DenoiseMode::Ddim { .. }) && ts_host.len() < 1001 {
                    continue; // DDPM steps t -> t - 1 only
                }
                for clip in [false, true] {
                    for &k in &ks {
                        let mut rng = HostRng::new(k as u64);
                        let x: Vec<f32> = rng.vec_normal(n * chw).iter().map(|v| v * 1.5).collect();
                        let eps = rng.vec_normal(n * chw);
                        let state = gpu.upload_u32(&state_words(k, seed), &[4]);
                        let (xg, eg) = (upload(&gpu, &x, &[n, chw]), upload(&gpu, &eps, &[n, chw]));
                        run(
                            &gpu,
                            [denoise(
                                &gpu,
                                n,
                                chw,
                                &DenoiseStep::new(mode, clip, &table, &ts, &state),
                                &eg,
                                &xg,
                            )],
                        );
                        let step = CpuStep::at(mode, clip, &s, &ts_host, k);
                        let want = denoise_cpu(step, k, seed, &x, &eps);
                        let what = format!(
                            "denoise {kind:?} {mode:?} clip {clip} k {k} t {}",
                            ts_host[k]
                        );
                        let z = normal_bounds(seed, k as u64, PURPOSE_Z, n * chw);
                        let bounds: Vec<f64> = want
                            .iter()
                            .zip(z)
                            .map(|(w, z)| 1e-4 + 1e-4 * w.abs() as f64 + step.sigma() * z)
                            .collect();
                        assert_within(&what, &gpu.read(&xg), &want, &bounds);
                    }
                }
            }
        }
    }
}

#[test]
fn ddpm_last_step_has_no_noise() {
    // t = 1: z = 0, so two seeds give the same x (variance "large" would add sqrt(beta_1) z).
    let gpu = gpu();
    let s = Schedule::new(ScheduleKind::Linear, 10).unwrap();
    let table = gpu.upload(&s.gpu_table(), &[11, 4]);
    let ts_host: Vec<u32> = (0..=10u32).rev().collect();
    let ts = gpu.upload_u32(&ts_host, &[11]);
    let x = HostRng::new(1).vec_normal(9);
    let eps = HostRng::new(2).vec_normal(9);
    let mut outs = vec![];
    for seed in [1u64, 2] {
        let state = gpu.upload_u32(&state_words(9, seed), &[4]);
        let (xg, eg) = (upload(&gpu, &x, &[9]), upload(&gpu, &eps, &[9]));
        run(
            &gpu,
            [denoise(
                &gpu,
                1,
                9,
                &DenoiseStep::new(DenoiseMode::DdpmLarge, false, &table, &ts, &state),
                &eg,
                &xg,
            )],
        );
        outs.push(gpu.read(&xg));
    }
    assert_eq!(outs[0], outs[1]);
}

#[test]
fn sampler_prepare_and_advance() {
    let gpu = gpu();
    let ts = gpu.upload_u32(&[9, 5, 2, 0], &[4]);
    let state = gpu.upload_u32(&[0, 3, 4, 0], &[4]);
    let tb = gpu.zeros(&[5]);
    let mut prog = Program::new();
    prog.push(sampler_prepare(&gpu, 5, &ts, &state, &tb));
    prog.push(sampler_advance(&gpu, 2, &state));
    for (i, want) in [9u32, 5, 2, 2].iter().enumerate() {
        prog.run(&gpu);
        assert_eq!(gpu.read_u32(&tb), vec![*want; 5], "iteration {i}");
    }
    assert_eq!(
        gpu.read_u32(&state),
        vec![2, 3, 4, 0],
        "k saturates at K-1, seed untouched"
    );
}

#[test]
fn gaussian_eps_matches_cpu() {
    let gpu = gpu();
    let s = Schedule::new(ScheduleKind::Linear, 1000).unwrap();
    let table = gpu.upload(&s.gpu_table(), &[1001, 4]);
    let (n, chw) = (3, 7);
    let t_host = [1u32, 500, 1000];
    let x = HostRng::new(3).vec_normal(n * chw);
    let (tb, xg, eg) = (
        gpu.upload_u32(&t_host, &[n]),
        upload(&gpu, &x, &[n, chw]),
        gpu.zeros(&[n, chw]),
    );
    run(
        &gpu,
        [gaussian_eps(&gpu, n, chw, 0.3, 0.5, &table, &tb, &xg, &eg)],
    );
    let want: Vec<f32> = (0..n * chw)
        .map(|e| gaussian_eps_cpu(&s, t_host[e / chw] as usize, x[e] as f64, 0.3, 0.5) as f32)
        .collect();
    assert_close("gaussian_eps", &gpu.read(&eg), &want, 1e-5, 1e-5);
}

/// A sampler whose model is the Gaussian-data optimal predictor.
struct GaussRun {
    gpu: Arc<Gpu>,
    s: Schedule,
    n: usize,
    chw: usize,
    x: GpuTensor,
    t_batch: GpuTensor,
    eps: GpuTensor,
    model: Program,
}

impl GaussRun {
    fn new(kind: ScheduleKind, t_max: usize, n: usize, chw: usize, mu: f32, sd: f32) -> Self {
        let gpu = gpu();
        let s = Schedule::new(kind, t_max).unwrap();
        let (x, t_batch, eps) = (gpu.zeros(&[n, chw]), gpu.zeros(&[n]), gpu.zeros(&[n, chw]));
        let table = gpu.upload(&s.gpu_table(), &[t_max + 1, 4]);
        let mut model = Program::new();
        model.push(gaussian_eps(
            &gpu, n, chw, mu, sd, &table, &t_batch, &x, &eps,
        ));
        Self {
            gpu,
            s,
            n,
            chw,
            x,
            t_batch,
            eps,
            model,
        }
    }

    fn sample(&self, cfg: SamplerConfig, snapshots: usize) -> (Vec<f32>, Vec<Vec<f32>>) {
        let sampler = Sampler::new(
            &self.gpu,
            &self.s,
            cfg,
            self.n,
            self.chw,
            &self.x,
            &self.t_batch,
            &self.eps,
        )
        .unwrap();
        let mut calls = vec![];
        let out = sampler
            .run(&self.model, snapshots, |done, total| {
                calls.push((done, total))
            })
            .unwrap();
        let k = sampler.steps();
        assert_eq!(calls.last(), Some(&(k, k)), "progress must end at (K, K)");
        assert!(calls.windows(2).all(|w| w[0].0 < w[1].0));
        out
    }
}

fn cfg(kind: SamplerKind, clip_x0: bool, seed: u64) -> SamplerConfig {
    SamplerConfig {
        kind,
        clip_x0,
        seed,
        prediction: Default::default(),
    }
}
const SMALL: SamplerKind = SamplerKind::Ddpm {
    variance: Variance::Small,
};
const LARGE: SamplerKind = SamplerKind::Ddpm {
    variance: Variance::Large,
};

#[test]
fn sampler_matches_cpu_reference() {
    // 20-step runs, all samplers, with and without clipping: the GPU loop against the f64 CPU
    // loop on the same random numbers. Errors compound over steps: 5e-4 abs + 5e-4 rel.
    let (mu, sd) = (0.3f32, 0.5f32);
    let r = GaussRun::new(ScheduleKind::Linear, 20, 3, 37, mu, sd);
    for kind in [
        SMALL,
        LARGE,
        SamplerKind::Ddim { steps: 7, eta: 0.0 },
        SamplerKind::Ddim {
            steps: 20,
            eta: 0.6,
        },
    ] {
        for clip in [false, true] {
            let c = cfg(kind, clip, 31);
            let (got, _) = r.sample(c, 0);
            let want = sample_cpu(&r.s, &c, 3 * 37, |x, t| {
                x.iter()
                    .map(|v| gaussian_eps_cpu(&r.s, t, *v as f64, mu as f64, sd as f64) as f32)
                    .collect()
            })
            .unwrap();
            assert_close(
                &format!("sampler {kind:?} clip {clip}"),
                &got,
                &want,
                5e-4,
                5e-4,
            );
        }
    }
}

#[test]
fn sampler_snapshots_and_seeds() {
    let r = GaussRun::new(ScheduleKind::Cosine, 30, 2, 10, 0.0, 1.0);
    let c = cfg(SMALL, false, 4);
    let (x, snaps) = r.sample(c, 4);
    assert_eq!(snaps.len(), 4);
    assert_within(
        "snapshot 0 is x_T",
        &snaps[0],
        &normals_cpu(4, 0, PURPOSE_XT, 20),
        &normal_bounds(4, 0, PURPOSE_XT, 20),
    );
    assert_eq!(snaps[3], x, "last snapshot is the final sample");
    assert!(snaps[1] != snaps[0] && snaps[2] != snaps[1]);
    let (x_again, _) = r.sample(c, 0);
    assert_eq!(x, x_again, "same seed, same sample");
    let (x_other, _) = r.sample(cfg(SMALL, false, 5), 0);
    assert!(x != x_other, "another seed, another sample");
}

#[test]
fn ddim_eta0_recovers_known_x0() {
    // Predictor = true eps of x0 = 0.3 (the Gaussian predictor with s = 0): deterministic DDIM
    // lands on x0 up to f32 rounding of the 1/sqrt(abar_T) = 157 amplified cancellation.
    let r = GaussRun::new(ScheduleKind::Linear, 1000, 2, 9, 0.3, 0.0);
    for steps in [1, 50, 1000] {
        let (x, _) = r.sample(cfg(SamplerKind::Ddim { steps, eta: 0.0 }, false, 8), 0);
        assert_close(&format!("ddim {steps} x0"), &x, &[0.3; 18], 1e-4, 0.0);
    }
}

#[test]
fn ddim_eta1_full_equals_ddpm_small() {
    let r = GaussRun::new(ScheduleKind::Linear, 1000, 1, 64, 0.3, 0.5);
    let (a, _) = r.sample(cfg(SMALL, false, 21), 0);
    let (b, _) = r.sample(
        cfg(
            SamplerKind::Ddim {
                steps: 1000,
                eta: 1.0,
            },
            false,
            21,
        ),
        0,
    );
    assert_close("ddim eta 1 vs ddpm small", &b, &a, 1e-4, 1e-4);
}

/// Exact mean and std of the final sample for Gaussian data: every step is affine in x plus
/// independent noise, so (mean, var) propagate exactly in f64 through the same discretisation.
fn moments(s: &Schedule, c: &SamplerConfig, mu: f64, sd: f64) -> (f64, f64) {
    let ts = c.timesteps(s.t_max).unwrap();
    let (mut m, mut v) = (0.0f64, 1.0f64);
    for k in 0..ts.len() - 1 {
        let step = CpuStep::at(c.mode(), false, s, &ts, k);
        let g = |x: f64| step.with_z(x, gaussian_eps_cpu(s, step.t, x, mu, sd), 0.0);
        let (b, a) = (g(0.0), g(1.0) - g(0.0));
        let sig = step.sigma();
        m = a * m + b;
        v = a * a * v + sig * sig;
    }
    (m, v.sqrt())
}

fn stats(x: &[f32]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().map(|v| *v as f64).sum::<f64>() / n;
    (
        m,
        (x.iter().map(|v| (*v as f64 - m).powi(2)).sum::<f64>() / n).sqrt(),
    )
}

#[test]
fn gaussian_data_sample_statistics() {
    // mu = 0.3, s = 0.5, linear T = 1000, 1 image of 64k pixels. Standard errors: mean
    // 0.5/256 = 0.002, std 0.5/sqrt(2 * 65536) = 0.0014; we allow 4 of them around the exact
    // moments of each discretisation, and the full-length samplers within 2% of (mu, s).
    let (mu, sd) = (0.3, 0.5);
    let pixels = 65536;
    let r = GaussRun::new(ScheduleKind::Linear, 1000, 1, pixels, mu as f32, sd as f32);
    // (sampler, the exact std of its final sample as README.md quotes it, full length?)
    let ddim = |steps, eta| SamplerKind::Ddim { steps, eta };
    let cases = [
        (SMALL, 0.496, true),
        (LARGE, 0.501, true),
        (ddim(1000, 0.0), 0.499, true),
        (ddim(1000, 1.0), 0.496, true),
        (ddim(50, 0.0), 0.471, false),
        (ddim(50, 1.0), 0.444, false),
    ];
    for (i, (kind, quoted_std, full)) in cases.into_iter().enumerate() {
        let c = cfg(kind, false, 1000 + i as u64);
        let t0 = std::time::Instant::now();
        let (x, _) = r.sample(c, 0);
        let (m, s) = stats(&x);
        let (em, es) = moments(&r.s, &c, mu, sd);
        eprintln!(
            "{kind:?}: sample mean {m:.4} std {s:.4}; exact {em:.4} {es:.4} ({:.2?})",
            t0.elapsed()
        );
        let (se_m, se_s) = (
            es / (pixels as f64).sqrt(),
            es / (2.0 * pixels as f64).sqrt(),
        );
        assert!(
            (m - em).abs() < 4.0 * se_m,
            "{kind:?}: mean {m} vs exact {em}"
        );
        assert!(
            (s - es).abs() < 4.0 * se_s,
            "{kind:?}: std {s} vs exact {es}"
        );
        assert!(
            (es - quoted_std).abs() <= 1e-3,
            "{kind:?}: exact std {es:.4}, but README.md quotes {quoted_std}"
        );
        if full {
            assert!(
                (m - mu).abs() < 0.02 * mu && (s - sd).abs() < 0.02 * sd,
                "{kind:?}: {m} {s} not within 2% of {mu} {sd}"
            );
        }
    }
}
