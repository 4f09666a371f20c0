//! The diffusion kernels (time embedding, Philox normals, forward noising and its backward,
//! a sampler step and its backward, a DPM-Solver++ step and its backward) and the optimiser
//! updates (Adam, EMA). The Box-Muller normals use log and cos, whose WGSL bounds are
//! absolute: their floor is twice `SIN_COS` (the cosine's error times a radius of up to ~4,
//! over outputs of size ~3, plus the log's).

use super::compare::{bound, Probe, SIN_COS};
use crate::diffusion::sampler::linspace_timesteps;
use crate::diffusion::{Schedule, ScheduleKind};
use crate::kernels::adam::{adam, adam_cpu, adam_hyper, AdamConfig};
use crate::kernels::add_noise::{
    add_noise, add_noise_backward, add_noise_backward_cpu, add_noise_cpu, add_noise_target,
    rng_state_words, target_cpu,
};
use crate::kernels::denoise::{
    denoise, denoise_backward, denoise_backward_cpu, denoise_cpu, CpuStep, DenoiseMode, DenoiseStep,
};
use crate::kernels::dpm_solver::{
    dpm_coefficients, dpm_solver, dpm_solver_backward, dpm_solver_backward_cpu, dpm_solver_cpu,
    gpu_coefficients, DpmStep, COEF_FLOATS,
};
use crate::kernels::ema::{ema, ema_cpu};
use crate::kernels::prediction::Prediction;
use crate::kernels::rng::{normals_cpu, philox_at, rng_fill};
use crate::kernels::snr_weight::{snr_weight, snr_weight_cpu};
use crate::kernels::time_embedding::{time_embedding, time_embedding_cpu};

const NORMALS: f64 = 2.0 * SIN_COS;

fn schedule() -> Schedule {
    Schedule::new(ScheduleKind::Linear, 100).expect("T = 100 is a valid schedule")
}

pub fn time_embed(p: &mut Probe) {
    let (n, d) = (7, 12);
    let t: Vec<u32> = (0..n as u32).map(|i| 1 + i * 141).collect();
    let (tg, out) = (p.gpu.upload_u32(&t, &[n]), p.zeros(&[n, d]));
    p.run([time_embedding(p.gpu, n, d, &tg, &out)]);
    let want = time_embedding_cpu(&t, d);
    p.check("time_embedding", &out, &want, bound(1, SIN_COS));
}

pub fn rng(p: &mut Probe) {
    let (count, seed, stream, purpose) = (37, 0x5eed_0000_0123_4567u64, 3, 9);
    let (raw, normals) = (p.zeros(&[4 * count]), p.zeros(&[2 * count]));
    p.run([rng_fill(
        p.gpu, count, seed, stream, purpose, &raw, &normals,
    )]);
    let words: Vec<u32> = (0..count as u32)
        .flat_map(|j| philox_at(seed, stream, purpose, j))
        .collect();
    p.check_u32("rng philox words", &raw, &words);
    let want = normals_cpu(seed, stream, purpose, 2 * count);
    p.check("rng normals", &normals, &want, bound(1, NORMALS));
}

pub fn noise(p: &mut Probe) {
    let (n, chw, seed, step) = (3, 5 * 7, 77, 5);
    let s = schedule();
    let table = s.gpu_table();
    let tab = p.gpu.upload(&table, &[table.len() / 4, 4]);
    let state = p.gpu.upload_u32(&rng_state_words(seed, step), &[4]);
    let (x0, x0g) = p.filled(&[n, chw]);
    let (g, gg) = p.filled(&[n, chw]);
    let (t, xt, eps) = (p.zeros(&[n]), p.zeros(&[n, chw]), p.zeros(&[n, chw]));
    let (dx0, deps) = (p.zeros(&[n, chw]), p.zeros(&[n, chw]));
    p.run([
        add_noise(p.gpu, n, chw, None, &tab, &state, &x0g, &t, &xt, &eps),
        add_noise_backward(p.gpu, n, chw, &tab, &t, &gg, &dx0, &deps),
    ]);
    let (tw, xw, ew) = add_noise_cpu(n, chw, &table, seed, step, &x0);
    p.check_u32("add_noise t", &t, &tw);
    p.check("add_noise eps", &eps, &ew, bound(1, NORMALS));
    p.check("add_noise x_t", &xt, &xw, bound(2, NORMALS));
    let (wx, we) = add_noise_backward_cpu(chw, &table, &tw, &g);
    p.check("add_noise backward x0", &dx0, &wx, bound(1, 0.0));
    p.check("add_noise backward eps", &deps, &we, bound(1, 0.0));
    // The v target and its min-SNR weights (`--prediction v --min-snr-gamma`).
    let (v, w) = (p.zeros(&[n, chw]), p.zeros(&[n]));
    let io = [&x0g, &t, &xt, &v];
    p.run([
        add_noise_target(p.gpu, Prediction::V, n, chw, None, &tab, &state, io),
        snr_weight(p.gpu, Prediction::V, 5.0, &tab, &t, &w),
    ]);
    let want = target_cpu(Prediction::V, chw, &table, &tw, &x0, &ew);
    p.check("add_noise v target", &v, &want, bound(2, NORMALS));
    let ww = snr_weight_cpu(Prediction::V, 5.0, &table, &tw);
    p.check("snr_weight", &w, &ww, bound(4, 0.0));
}

/// A DDPM step and a DDIM step with noise (eta 0.5), forward and backward.
pub fn denoise_step(p: &mut Probe) {
    let (n, chw, seed) = (3, 5 * 7, 0xfeed_beef_0000_0001u64);
    let s = schedule();
    let tab = p.gpu.upload(&s.gpu_table(), &[101, 4]);
    let ddpm: Vec<u32> = (0..=100).rev().collect();
    let ddim = vec![80u32, 40, 0];
    for (mode, ts, k, pred, name) in [
        (
            DenoiseMode::DdpmSmall,
            ddpm,
            50usize,
            Prediction::Eps,
            "denoise ddpm",
        ),
        (
            DenoiseMode::Ddim { eta: 0.5 },
            ddim.clone(),
            0,
            Prediction::Eps,
            "denoise ddim",
        ),
        (
            DenoiseMode::Ddim { eta: 0.5 },
            ddim,
            0,
            Prediction::V,
            "denoise ddim v",
        ),
    ] {
        let tsg = p.gpu.upload_u32(&ts, &[ts.len()]);
        let words = [k as u32, seed as u32, (seed >> 32) as u32, 0];
        let state = p.gpu.upload_u32(&words, &[4]);
        let step = DenoiseStep::new(mode, false, &tab, &tsg, &state).predicting(pred);
        let (x, xg) = p.filled(&[n, chw]);
        let (e, eg) = p.filled(&[n, chw]);
        let (g, gg) = p.filled(&[n, chw]);
        let (x_in, dx, de) = (
            p.gpu.upload(&x, &[n, chw]),
            p.zeros(&[n, chw]),
            p.zeros(&[n, chw]),
        );
        // The backward reads the step's input, so it runs before the forward overwrites xg.
        p.run([
            denoise_backward(p.gpu, n, chw, &step, &gg, &x_in, &eg, &dx, &de),
            denoise(p.gpu, n, chw, &step, &eg, &xg),
        ]);
        let cpu = CpuStep::at(mode, false, &s, &ts, k).predicting(pred);
        p.check(
            name,
            &xg,
            &denoise_cpu(cpu, k, seed, &x, &e),
            bound(4, NORMALS),
        );
        let (wx, we) = denoise_backward_cpu(cpu, &g, &x, &e);
        p.check(&format!("{name} backward x"), &dx, &wx, bound(4, 0.0));
        p.check(&format!("{name} backward eps"), &de, &we, bound(4, 0.0));
    }
}

/// A second-order DPM-Solver++ step (eps prediction), forward and backward.
pub fn dpm_step(p: &mut Probe) {
    let (n, chw) = (3, 5 * 7);
    let s = schedule();
    let ts = linspace_timesteps(100, 4);
    let coef = dpm_coefficients(&s.abar, &ts);
    let k = 1;
    let step = DpmStep {
        pred: Prediction::Eps,
        clip_x0: false,
        coef: p.gpu.upload(&gpu_coefficients(&coef), &[4, COEF_FLOATS]),
        state: p.gpu.upload_u32(&[k as u32, 0, 0, 0], &[4]),
    };
    let (x, xg) = p.filled(&[n, chw]);
    let (o, og) = p.filled(&[n, chw]);
    let (prev, pg) = p.filled(&[n, chw]);
    let (g2, g2g) = p.filled(&[2, n, chw]);
    let x_in = p.gpu.upload(&x, &[n, chw]);
    let (dx, dout, dprev) = (p.zeros(&[n, chw]), p.zeros(&[n, chw]), p.zeros(&[n, chw]));
    // The backward reads the step's input, so it runs before the forward overwrites xg.
    p.run([
        dpm_solver_backward(p.gpu, n, chw, &step, &g2g, &x_in, &og, &dx, &dout, &dprev),
        dpm_solver(p.gpu, n, chw, &step, &og, &xg, &pg),
    ]);
    let (wx, w0) = dpm_solver_cpu(&coef[k], Prediction::Eps, false, &x, &o, &prev);
    p.check("dpm_solver x", &xg, &wx, bound(4, 0.0));
    p.check("dpm_solver x0", &pg, &w0, bound(2, 0.0));
    let (g, g0) = g2.split_at(n * chw);
    let (bx, bo, bp) = dpm_solver_backward_cpu(&coef[k], Prediction::Eps, false, g, g0, &x, &o);
    p.check("dpm_solver backward x", &dx, &bx, bound(4, 0.0));
    p.check("dpm_solver backward out", &dout, &bo, bound(2, 0.0));
    p.check("dpm_solver backward x0_prev", &dprev, &bp, bound(1, 0.0));
}

/// One AdamW update at step 3 and one EMA update. Parameters are small so that the checked
/// change (new - old, about lr) is not lost to the rounding of the parameters themselves.
pub fn optimiser(p: &mut Probe) {
    let n = 3 * 5 * 7;
    let cfg = AdamConfig {
        weight_decay: 0.01,
        ..AdamConfig::default()
    };
    let step = 3;
    let params: Vec<f32> = p.normal(n).iter().map(|v| v * 1e-3).collect();
    let grads = p.normal(n);
    let m: Vec<f32> = p.normal(n).iter().map(|v| v * 0.1).collect();
    let v: Vec<f32> = p.rng.vec_uniform(n, 0.01, 1.0);
    let dev = [&params, &grads, &m, &v].map(|h| p.gpu.upload(h, &[n]));
    let hyper = p.gpu.upload(&adam_hyper(&cfg, step), &[8]);
    p.run([adam(p.gpu, &dev[0], &dev[1], &dev[2], &dev[3], &hyper)]);
    let (mut pw, mut mw, mut vw) = (params.clone(), m.clone(), v.clone());
    adam_cpu(&cfg, step, &mut pw, &grads, &mut mw, &mut vw);
    let delta = |new: &[f32], old: &[f32]| -> Vec<f32> {
        new.iter()
            .zip(old)
            .map(|(a, b)| (*a as f64 - *b as f64) as f32)
            .collect()
    };
    let got = p.read(&dev[0]);
    p.compare(
        "adam update",
        &delta(&got, &params),
        &delta(&pw, &params),
        bound(4, 0.0),
    );
    p.check("adam m", &dev[2], &mw, bound(1, 0.0));
    p.check("adam v", &dev[3], &vw, bound(1, 0.0));

    let decay = 0.75;
    let (src, srcg) = p.filled(&[n]);
    let (old, eg) = p.filled(&[n]);
    let decay_t = p.gpu.upload(&[decay], &[1]);
    p.run([ema(p.gpu, &decay_t, &srcg, &eg)]);
    let mut want = old.clone();
    ema_cpu(decay, &src, &mut want);
    let got = p.read(&eg);
    p.compare(
        "ema",
        &delta(&got, &old),
        &delta(&want, &old),
        bound(4, 0.0),
    );
}
