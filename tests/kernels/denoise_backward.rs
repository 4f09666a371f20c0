use wgpu_ddpm::diffusion::{Schedule, ScheduleKind};
use wgpu_ddpm::kernels::denoise::*;
use wgpu_ddpm::kernels::prediction::Prediction;
use wgpu_ddpm::kernels::rng::{normal_cpu, PURPOSE_Z};

use crate::common::*;
use crate::elementwise_support::*;

const MODES: [DenoiseMode; 4] = [
    DenoiseMode::DdpmSmall,
    DenoiseMode::DdpmLarge,
    DenoiseMode::Ddim { eta: 0.0 },
    DenoiseMode::Ddim { eta: 0.7 },
];

/// Inputs (x, model output) whose predicted x0 (for `pred`'s output) stays away from the
/// clamp's kinks at +-1 (a finite difference across a kink measures neither side): where it
/// is near one, x (or for an x0 output, the output) moves so that x0 moves by 0.2.
fn inputs(len: usize, abar: f64, seed: u64, pred: Prediction) -> (Vec<f32>, Vec<f32>) {
    let mut rng = HostRng::new(seed);
    let (mut x, mut out) = (rng.vec_normal(len), rng.vec_normal(len));
    let (qx, qo) = (pred.x0_eps(0.0, 1.0, abar).0, pred.x0_eps(1.0, 0.0, abar).0);
    for (x, o) in x.iter_mut().zip(out.iter_mut()) {
        let x0 = pred.x0_eps(*o as f64, *x as f64, abar).0;
        if (x0.abs() - 1.0).abs() < 0.05 {
            match pred {
                Prediction::X0 => *o += (0.2 / qo) as f32,
                _ => *x += (0.2 / qx) as f32,
            }
        }
    }
    (x, out)
}

#[test]
fn denoise_backward_matches_cpu_and_fd() {
    let gpu = gpu();
    let seed = 0x5eed_0000_0000_0007u64;
    for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
        let s = Schedule::new(kind, 100).unwrap();
        let table = gpu.upload(&s.gpu_table(), &[101, 4]);
        for (ts_host, ks) in [
            ((0..=100u32).rev().collect::<Vec<_>>(), vec![0usize, 60, 99]),
            (vec![100, 71, 30, 2, 0], vec![0, 2, 3]),
        ] {
            let ts = gpu.upload_u32(&ts_host, &[ts_host.len()]);
            for mode in MODES {
                if !matches!(mode, DenoiseMode::Ddim { .. }) && ts_host.len() < 101 {
                    continue; // DDPM steps t -> t - 1 only
                }
                for (clip, pred) in [false, true]
                    .into_iter()
                    .flat_map(|c| Prediction::ALL.map(|p| (c, p)))
                {
                    for (i, &k) in ks.iter().enumerate() {
                        // Odd sizes: a tail of 1, 2 and 3 elements after the last full quad.
                        let (n, chw) = [(3, 7), (1, 5), (2, 3)][i];
                        let len = n * chw;
                        let cpu_step = CpuStep::at(mode, clip, &s, &ts_host, k).predicting(pred);
                        let t = cpu_step.t;
                        let (x, eps) = inputs(len, s.abar[t], k as u64, pred);
                        let mut rng = HostRng::new(k as u64 + 100);
                        let [w, dx, de] = [(); 3].map(|_| Filled::normal(&mut rng, &[n, chw]));
                        let state =
                            gpu.upload_u32(&[k as u32, seed as u32, (seed >> 32) as u32, 0], &[4]);
                        let (xg, eg) = (upload(&gpu, &x, &[n, chw]), upload(&gpu, &eps, &[n, chw]));
                        run(
                            &gpu,
                            [denoise_backward(
                                &gpu,
                                n,
                                chw,
                                &DenoiseStep::new(mode, clip, &table, &ts, &state).predicting(pred),
                                &w.dev,
                                &xg,
                                &eg,
                                &dx.dev,
                                &de.dev,
                            )],
                        );
                        let (gx, ge) = denoise_backward_cpu(cpu_step, &w.host, &x, &eps);
                        let what =
                            format!("denoise_backward {kind:?} {mode:?} clip {clip} {pred} t {t}");
                        // f32 coefficients up to 1/sqrt(abar_T) (~40 at T = 100) vs f64.
                        dx.assert_accumulated(&format!("{what} dx"), &gx, 2e-4, 2e-4);
                        de.assert_accumulated(&format!("{what} deps"), &ge, 2e-4, 2e-4);
                        // Finite differences of L = sum w * step(x, eps) with z held fixed.
                        let sigma = cpu_step.sigma();
                        let z: Vec<f64> = (0..len)
                            .map(|e| {
                                if sigma > 0.0 {
                                    normal_cpu(seed, k as u64, PURPOSE_Z, e as u32) as f64
                                } else {
                                    0.0
                                }
                            })
                            .collect();
                        let step = |x: &[f64], e: &[f64]| -> Vec<f64> {
                            (0..len)
                                .map(|i| cpu_step.with_z(x[i], e[i], z[i]))
                                .collect()
                        };
                        fd_check_partials(
                            &format!("{what} fd"),
                            [&f64s(&x), &f64s(&eps)],
                            1e-5,
                            |[x, e]| weighted_sum(&step(x, e), &w.host),
                            [("x", &gx, 1e-4, 1e-4), ("eps", &ge, 1e-4, 1e-4)],
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn denoise_backward_clip_blocks_the_clamped_side() {
    // A predicted x0 far outside [-1, 1]: with clip the x0 path passes nothing, so the
    // gradients are the unclipped coefficients only (DDIM: dx = 0, deps = direction term).
    let gpu = gpu();
    let s = Schedule::new(ScheduleKind::Linear, 100).unwrap();
    let table = gpu.upload(&s.gpu_table(), &[101, 4]);
    let ts_host = [100u32, 50, 0];
    let ts = gpu.upload_u32(&ts_host, &[3]);
    let state = gpu.upload_u32(&[0, 1, 0, 0], &[4]);
    let mode = DenoiseMode::Ddim { eta: 0.0 };
    let (x, eps) = (vec![50.0f32; 5], vec![0.0f32; 5]);
    let up = |v: &[f32]| upload(&gpu, v, &[5]);
    let (g, xg, eg, dx, de) = (
        up(&[1.0; 5]),
        up(&x),
        up(&eps),
        up(&[0.0; 5]),
        up(&[0.0; 5]),
    );
    run(
        &gpu,
        [denoise_backward(
            &gpu,
            1,
            5,
            &DenoiseStep::new(mode, true, &table, &ts, &state),
            &g,
            &xg,
            &eg,
            &dx,
            &de,
        )],
    );
    assert_eq!(gpu.read(&dx), vec![0.0; 5]);
    let dir = (1.0 - s.abar[50]).sqrt() as f32;
    assert_close("deps, clamped", &gpu.read(&de), &[dir; 5], 1e-5, 1e-5);
}
