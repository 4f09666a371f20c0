//! Our training loss (add-noise target, min-SNR weights, weighted MSE, all on the GPU)
//! against PyTorch's, computed as diffusers' and lucidrains' training scripts compute it
//! (scripts/make_prediction_golden.py, tests/fixtures/prediction_golden.json), for each
//! prediction target with and without min-SNR weighting.

use serde_json::Value;
use wgpu_ddpm::diffusion::{Schedule, ScheduleKind};
use wgpu_ddpm::kernels::add_noise::{add_noise_target, rng_state_words};
use wgpu_ddpm::kernels::mse::{mse, mse_weighted};
use wgpu_ddpm::kernels::prediction::Prediction;
use wgpu_ddpm::kernels::rng::PURPOSE_EPS;
use wgpu_ddpm::kernels::snr_weight::{snr_weight, snr_weight_cpu};

use crate::common::tol::*;
use crate::common::*;
use crate::mse::sum_depth;
use crate::snr_weight::weight_bound;

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

#[test]
fn training_loss_matches_pytorch() {
    let text = include_str!("../fixtures/prediction_golden.json");
    let fx: Value = serde_json::from_str(text).unwrap();
    let (n, chw, t_max) = (
        fx["n"].as_u64().unwrap() as usize,
        fx["chw"].as_u64().unwrap() as usize,
        fx["t_max"].as_u64().unwrap() as usize,
    );
    let (seed, step) = (fx["seed"].as_u64().unwrap(), fx["step"].as_u64().unwrap());
    let len = n * chw;
    // The script's schedule is ours: the same f32 columns, up to the last bit of an f64 cos.
    let mut table = Schedule::new(ScheduleKind::Cosine, t_max)
        .unwrap()
        .gpu_table();
    let (abar, omt) = (f32s(&fx["abar"]), f32s(&fx["one_minus_abar"]));
    for t in 0..=t_max {
        for (col, v) in [(2, abar[t]), (3, omt[t])] {
            let ours = &mut table[4 * t + col];
            assert!(
                (*ours - v).abs() <= v.abs() * ULP_REL as f32,
                "t {t} col {col}"
            );
            *ours = v;
        }
    }
    let (x0, out, eps) = (f32s(&fx["x0"]), f32s(&fx["out"]), f32s(&fx["eps"]));
    let t_want: Vec<u32> = fx["t"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap() as u32)
        .collect();

    let gpu = gpu();
    let tab = gpu.upload(&table, &[t_max + 1, 4]);
    let state = gpu.upload_u32(&rng_state_words(seed, step), &[4]);
    let (x0g, outg) = (upload(&gpu, &x0, &[n, chw]), upload(&gpu, &out, &[n, chw]));
    let (t, xt, y, w, loss) = (
        gpu.zeros(&[n]),
        gpu.zeros(&[n, chw]),
        gpu.zeros(&[n, chw]),
        gpu.zeros(&[n]),
        gpu.zeros(&[1]),
    );
    let eps_bound = normal_bounds(seed, step, PURPOSE_EPS, len);
    let io = [&x0g, &t, &xt, &y];
    run(
        &gpu,
        [add_noise_target(
            &gpu,
            Prediction::Eps,
            n,
            chw,
            None,
            &tab,
            &state,
            io,
        )],
    );
    // The script's port of our Philox draws the same t and (to Box-Muller's bound) eps.
    assert_eq!(gpu.read_u32(&t), t_want, "t");
    assert_within("eps", &gpu.read(&y), &eps, &eps_bound);

    let cases = fx["losses"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let pred: Prediction = case["prediction"].as_str().unwrap().parse().unwrap();
        let gamma = case["min_snr_gamma"].as_f64().map(|g| g as f32);
        let want = case["loss"].as_f64().unwrap();
        let mut ds = vec![add_noise_target(&gpu, pred, n, chw, None, &tab, &state, io)];
        match gamma {
            Some(g) => {
                ds.push(snr_weight(&gpu, pred, g, &tab, &t, &w));
                ds.extend(mse_weighted(&gpu, &outg, &y, &w, &loss));
            }
            None => ds.extend(mse(&gpu, &outg, &y, &loss)),
        }
        run(&gpu, ds);
        let got = gpu.read(&loss)[0] as f64;
        let b = loss_bound(pred, gamma, &table, &t_want, &x0, &eps, &out, &eps_bound);
        let what = format!("{pred} gamma {gamma:?}");
        assert!(
            (got - want).abs() <= b,
            "{what}: got {got}, torch {want}, bound {b:.3e}"
        );
    }
}

/// How far our f32 loss may lie from the exact one on the same inputs, element by element:
/// the target's error (eps's Box-Muller bound, and for v the xt-like chain of
/// add_noise_target), the difference's and the square's roundings, the weight's error
/// (snr_weight's chain) and its product, then the two-pass sum of the positive terms.
#[allow(clippy::too_many_arguments)]
fn loss_bound(
    pred: Prediction,
    gamma: Option<f32>,
    table: &[f32],
    t: &[u32],
    x0: &[f32],
    eps: &[f32],
    out: &[f32],
    eps_bound: &[f64],
) -> f64 {
    let (len, chw) = (x0.len(), x0.len() / t.len());
    let w = match gamma {
        Some(g) => snr_weight_cpu(pred, g, table, t),
        None => vec![1.0; t.len()],
    };
    let (mut err, mut sum) = (0.0, 0.0);
    for e in 0..len {
        let row = &table[4 * t[e / chw] as usize..][..4];
        let (a, s) = ((row[2] as f64).sqrt(), (row[3] as f64).sqrt());
        let (x, z) = (x0[e] as f64, eps[e] as f64);
        let (target, dt) = match pred {
            Prediction::Eps => (z, eps_bound[e]),
            Prediction::X0 => (x, 0.0),
            Prediction::V => (
                a * z - s * x,
                a * eps_bound[e] + bound(SQRT_ULP + 0.5, 4, (a * z).abs() + (s * x).abs()),
            ),
        };
        let d = (out[e] as f64 - target).abs();
        let dd = dt + U * (d + dt);
        let sq = d * d;
        let dsq = 2.0 * d * dd + dd * dd + U * (d + dd).powi(2);
        let wi = w[e / chw] as f64;
        let dw = match gamma {
            Some(g) => weight_bound(pred, g, row[2], row[3]),
            None => 0.0,
        };
        err += wi * dsq + sq * dw + dw * dsq + U * (wi + dw) * (sq + dsq);
        sum += wi * sq;
    }
    // The 1/N scale's rounding and the f64 golden's own f32 conversion ride on the last U's.
    err / len as f64 + bound(2.0, sum_depth(len), sum / len as f64)
}
