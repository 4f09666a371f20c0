//! Gradients through the sampler: the recorded chain "add noise -> U-Net -> denoise -> U-Net
//! -> denoise -> reward" against finite differences, DRaFT-K fine-tuning raising a reward
//! while the noise-prediction loss stays bounded, and SDEdit (`tests/finetune_cli.rs`: the
//! `finetune` and `edit` commands, and fine-tuned checkpoints loading wherever ordinary ones
//! do).

mod common;

use common::*;
use wgpu_ddpm::data::{self, DataSpec, Dataset, LoadOptions};
use wgpu_ddpm::diffusion::{SamplerConfig, SamplerKind, Schedule, ScheduleKind};
use wgpu_ddpm::finetune::edit::{sdedit, EditConfig};
use wgpu_ddpm::finetune::{write_states, FinetuneConfig, Finetuner, Reward, StepsSpec};
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::adam::AdamConfig;
use wgpu_ddpm::kernels::add_noise::rng_state_words;
use wgpu_ddpm::kernels::denoise::DenoiseMode;
use wgpu_ddpm::kernels::prediction::Prediction;
use wgpu_ddpm::model::graph::Graph;
use wgpu_ddpm::model::network::{Model, NetConfig};
use wgpu_ddpm::train::eval::mean_loss;
use wgpu_ddpm::train::{TrainConfig, Trainer};

fn tiny(size: usize) -> NetConfig {
    NetConfig {
        image_channels: 1,
        image_size: size,
        channels: vec![2, 3, 2],
        temb_dim: 4,
        num_classes: 0,
        ..Default::default()
    }
}

/// The weights `w0` moved by `s` along the direction `d`.
fn along(w0: &[f32], d: &[f32], s: f64) -> Vec<f32> {
    w0.iter()
        .zip(d)
        .map(|(w, d)| (*w as f64 + s * *d as f64) as f32)
        .collect()
}

/// The tape's derivative along `d`: grads . d.
fn dot(grads: &[f32], d: &[f32]) -> f64 {
    grads
        .iter()
        .zip(d)
        .map(|(g, d)| *g as f64 * *d as f64)
        .sum()
}

/// DDIM sampling in `steps` steps with noise `eta`, unclipped.
fn ddim(steps: usize, eta: f32, seed: u64) -> SamplerConfig {
    SamplerConfig {
        kind: SamplerKind::Ddim { steps, eta },
        clip_x0: false,
        seed,
        prediction: Prediction::Eps,
    }
}

/// `count` images of the built-in data at 8x8.
fn builtin(count: usize) -> Dataset {
    data::load(
        &DataSpec::parse("builtin").unwrap(),
        &LoadOptions {
            size: Some(8),
            count,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn recorded_chain_matches_finite_differences() {
    chain_fd(Prediction::Eps, false);
}

#[test]
fn recorded_dpm_solver_chain_matches_finite_differences() {
    // Three DPM-Solver++ steps from x_T: the middle one is second order, so the gradient also
    // flows through the first step's predicted x0 passed along as a Var.
    chain_fd(Prediction::Eps, true);
}

#[test]
fn recorded_chain_of_a_v_network_matches_finite_differences() {
    // The steps convert the v output to eps inside denoise and denoise_backward.
    chain_fd(Prediction::V, false);
}

/// DDIM (eta 0.5): noise to ts[1], the two remaining steps on the tape. DPM-Solver++ 2M: noise
/// to ts[0], all three steps on the tape.
fn chain_fd(pred: Prediction, dpm: bool) {
    let gpu = gpu();
    let net = Model::new(&gpu, &tiny(4), 7).unwrap();
    // Running statistics away from (0, 1), so eval-mode BatchNorm is not the identity.
    let mut rng = HostRng::new(9);
    let stats = net
        .layout
        .stats
        .join(|e| {
            Ok(if e.name.ends_with("running_var") {
                rng.vec_uniform(e.len(), 0.5, 1.5)
            } else {
                rng.vec_uniform(e.len(), -0.2, 0.2)
            })
        })
        .unwrap();
    gpu.write(&net.layout.stats.whole(&net.stats), &stats);
    let sched = Schedule::new(ScheduleKind::Linear, 10).unwrap();
    let n = 2;
    let mode = DenoiseMode::Ddim { eta: 0.5 };
    let spec = StepsSpec::new(
        &gpu,
        mode,
        false,
        &sched.gpu_table(),
        vec![10, 6, 3, 0],
        &net,
        n,
    )
    .predicting(pred);
    let (spec, from) = match dpm {
        true => (spec.dpm_solver(&gpu, &sched.abar), 0),
        false => (spec, 1),
    };
    let mut g = Graph::frozen_bn(&gpu);
    let x0 = g.var(&[n, 1, 4, 4]);
    let rng_state = gpu.upload_u32(&rng_state_words(3, 4), &[4]);
    let t_start = spec.ts_host[from];
    let (xt, _t, _eps) = g.add_noise(&x0, &spec.table, &rng_state, Some(t_start));
    let rec = spec.record(&mut g, &net, &xt, from);
    assert_eq!(rec.states.len(), 3 - from);
    let target = rng.vec_uniform(16, -1.0, 1.0);
    let loss = Reward::Target(target).record(&mut g, &rec.x_out);
    write_states(&gpu, &rec.states, 11);
    let p = g.finish();
    let x_host = rng.vec_uniform(n * 16, -1.0, 1.0);
    gpu.write(&x0.val, &x_host);
    let grads = net.layout.params.whole(&net.grads);
    let params = net.layout.params.whole(&net.params);
    let mut clear = Program::new();
    clear.clear(&grads);
    clear.append(p.clear);
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    for prog in [&clear, &p.forward, &p.backward] {
        prog.encode(&mut enc);
    }
    gpu.queue.submit([enc.finish()]);
    gpu.wait().unwrap();
    let dx = gpu.read(x0.grad.as_ref().unwrap());
    let dp = gpu.read(&grads);
    assert!(
        dx.iter().any(|v| v.abs() > 1e-4),
        "no gradient reached x0: {dx:?}"
    );
    let eval = |x: &[f32], w: &[f32]| -> f64 {
        gpu.write(&x0.val, x);
        gpu.write(&params, w);
        p.forward.run(&gpu);
        gpu.read(&loss)[0] as f64
    };
    let w0 = gpu.read(&params);
    // Every input element.
    let h = 3e-3;
    let to32 = |v: &[f64]| v.iter().map(|a| *a as f32).collect::<Vec<_>>();
    fd_check(
        "chain dL/dx0",
        &dx,
        &f64s(&x_host),
        h,
        |x| eval(&to32(x), &w0),
        2e-3,
        5e-2,
    );
    // The weights, along random directions.
    for seed in 0..3 {
        let d = HostRng::new(100 + seed).vec_normal(w0.len());
        let at = |s: f64| along(&w0, &d, s);
        let fd = (eval(&x_host, &at(h)) - eval(&x_host, &at(-h))) / (2.0 * h);
        let an = dot(&dp, &d);
        assert!(
            (fd - an).abs() <= 2e-3 + 5e-2 * an.abs(),
            "chain dL/dweights along direction {seed}: finite difference {fd}, tape {an}"
        );
    }
}

#[test]
fn checkpointed_steps_match_finite_differences() {
    // K = 4 = every DDIM step (untaped steps would depend on the weights too, and DRaFT-K's
    // gradient leaves them out on purpose): backward recomputes three of the four recorded
    // steps from their saved inputs.
    checkpointed_fd(ddim(4, 0.5, 8));
}

#[test]
fn checkpointed_dpm_solver_steps_match_finite_differences() {
    // As above through DPM-Solver++ 2M's four steps: each recomputed step also reloads the
    // predicted x0 it read, and dL/dx0 is carried back beside dL/dx.
    checkpointed_fd(dpm(4, 8));
}

/// DPM-Solver++ 2M sampling in `steps` steps, unclipped.
fn dpm(steps: usize, seed: u64) -> SamplerConfig {
    SamplerConfig {
        kind: SamplerKind::DpmSolver2M { steps },
        ..ddim(steps, 0.0, seed)
    }
}

/// Finetuner::gradients with K = every step of `sampler` against finite differences of the
/// reward along random weight directions.
fn checkpointed_fd(sampler: SamplerConfig) {
    let gpu = gpu();
    let net = Model::new(&gpu, &tiny(4), 3).unwrap();
    let schedule = Schedule::new(ScheduleKind::Linear, 10).unwrap();
    let target = HostRng::new(4).vec_uniform(16, -1.0, 1.0);
    let cfg = FinetuneConfig {
        sampler,
        k: 4,
        batch: 2,
        adam: AdamConfig::default(),
        reward: Reward::Target(target),
    };
    let ft = Finetuner::new(&gpu, net, &schedule, cfg).unwrap();
    let (r0, grads) = ft.gradients(21);
    assert!(grads.iter().any(|g| g.abs() > 1e-5), "no gradient");
    let params = ft.net.layout.params.whole(&ft.net.params);
    let w0 = gpu.read(&params);
    let h = 1e-3;
    for seed in 0..3 {
        let d = HostRng::new(200 + seed).vec_normal(w0.len());
        let reward_at = |s: f64| {
            gpu.write(&params, &along(&w0, &d, s));
            ft.score(21).0 as f64
        };
        let fd = -(reward_at(h) - reward_at(-h)) / (2.0 * h);
        let an = dot(&grads, &d);
        assert!(
            (fd - an).abs() <= 2e-3 + 5e-2 * an.abs(),
            "K = 4 dL/dweights along direction {seed}: finite difference {fd}, tape {an} (reward {r0})"
        );
    }
}

#[test]
fn dpm_solver_finetuner_draws_the_samplers_images() {
    // Five steps, the last two recorded: the untaped prefix must hand the recorded steps its
    // x and its predicted x0 (the first recorded step is second order and reads it). Both
    // paths run the same kernels on the same inputs, so they agree far closer than the bound;
    // a zero or stale x0 moves the samples by O(0.1).
    let gpu = gpu();
    let net = Model::new(&gpu, &tiny(4), 5).unwrap();
    let schedule = Schedule::new(ScheduleKind::Linear, 20).unwrap();
    let seed = 31;
    let want = wgpu_ddpm::sample::sample(
        &gpu,
        &net,
        &schedule,
        &dpm(5, seed),
        3,
        3,
        0,
        None,
        |_, _| {},
    )
    .unwrap()
    .images
    .concat();
    let cfg = FinetuneConfig {
        sampler: dpm(5, 0),
        k: 2,
        batch: 3,
        adam: AdamConfig::default(),
        reward: Reward::Brightness,
    };
    let ft = Finetuner::new(&gpu, net, &schedule, cfg).unwrap();
    let (_, got) = ft.score(seed);
    let worst = got
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-3,
        "finetuner and sampler differ by up to {worst}"
    );
}

#[test]
fn finetuning_raises_the_reward_and_keeps_the_model() {
    let gpu = gpu();
    let ds = builtin(64);
    let mut net_cfg = tiny(8);
    net_cfg.channels = vec![4, 6, 8];
    let t_max = 20;
    let mut tr = Trainer::new(
        gpu.clone(),
        TrainConfig {
            t_max,
            steps: 30,
            seed: 1,
            log_every: 30,
            ..TrainConfig::plain(net_cfg, 8)
        },
    )
    .unwrap();
    for _ in 0..30 {
        tr.step(&ds);
    }
    let schedule = tr.schedule.clone();
    let mse = |net: &Model| mean_loss(&gpu, net, &schedule, 8, &ds, 32, 5, None).unwrap();
    let mse_before = mse(&tr.net);
    let cfg = FinetuneConfig {
        sampler: ddim(5, 0.0, 3),
        k: 1,
        batch: 4,
        adam: AdamConfig {
            lr: 3e-3,
            ..Default::default()
        },
        reward: Reward::Brightness,
    };
    let mut ft = Finetuner::new(&gpu, tr.net, &schedule, cfg).unwrap();
    let (before, _) = ft.score(77);
    let mut seen = vec![];
    for _ in 0..8 {
        seen.push(ft.step().unwrap());
    }
    let (after, _) = ft.score(77);
    let mse_after = mse(&ft.net);
    println!("reward {before} -> {after} (batches {seen:?}); mse {mse_before} -> {mse_after}");
    assert!(
        after > before + 0.05,
        "reward did not rise: {before} -> {after}"
    );
    assert!(
        mse_after < 2.0 * mse_before,
        "noise-prediction loss blew up: {mse_before} -> {mse_after}"
    );
}

#[test]
fn sdedit_keeps_a_lightly_noised_image_and_optimises_the_input() {
    let gpu = gpu();
    let net = Model::new(&gpu, &tiny(8), 5).unwrap();
    let schedule = Schedule::new(ScheduleKind::Linear, 20).unwrap();
    let ds = builtin(1);
    let image = ds.image(0);
    let mut cfg = EditConfig {
        strength: 0.05, // t = 1: one step from abar_1 = 0.9999 back to 0
        steps: 4,
        count: 2,
        seed: 1,
        reward: None,
        iters: 0,
        lr: 0.05,
        prediction: Prediction::Eps,
    };
    let e = sdedit(&gpu, &net, &schedule, image, &cfg).unwrap();
    assert!(e.rewards.is_empty());
    let worst = e
        .outputs
        .iter()
        .zip(image.iter().cycle())
        .map(|(o, i)| (o - i).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 0.1, "an edit at t = 1 moved a pixel by {worst}");
    // Strength 0.5 (t = 10) with a reward: optimising the input raises the edits' reward.
    cfg.strength = 0.5;
    cfg.reward = Some(Reward::Brightness);
    cfg.iters = 10;
    let e = sdedit(&gpu, &net, &schedule, image, &cfg).unwrap();
    let (first, last) = (e.rewards[0], *e.rewards.last().unwrap());
    assert_eq!(e.rewards.len(), 11);
    assert!(last > first + 0.05, "reward {first} -> {last}");
    assert!(e.inputs != image.repeat(2), "the input was not optimised");
}

/// The classifier reward: log p(class | sample) under a (here untrained) quality classifier
/// rises over a few fine-tune steps, so its gradient reaches the U-Net through the sampler.
#[test]
fn finetune_raises_a_classifier_reward() {
    use std::sync::Arc;
    use wgpu_ddpm::finetune::ClassReward;
    use wgpu_ddpm::quality::{Classifier, ClassifierConfig};
    let gpu = gpu();
    let net = Model::new(&gpu, &tiny(8), 3).unwrap();
    let schedule = Schedule::new(ScheduleKind::Linear, 20).unwrap();
    let cls = ClassifierConfig {
        image_channels: 1,
        image_size: 8,
        classes: 5,
    };
    let classifier = Arc::new(Classifier::new(&gpu, &cls, 4).unwrap());
    let reward = Reward::Class(ClassReward {
        classifier,
        class: 2,
        path: "untrained".into(),
    });
    let cfg = FinetuneConfig {
        sampler: ddim(4, 0.0, 3),
        k: 1,
        batch: 4,
        adam: AdamConfig {
            lr: 5e-2,
            ..Default::default()
        },
        reward,
    };
    let mut ft = Finetuner::new(&gpu, net, &schedule, cfg).unwrap();
    let (before, _) = ft.score(77);
    for _ in 0..16 {
        ft.step().unwrap();
    }
    let (after, _) = ft.score(77);
    println!("class reward {before} -> {after}");
    assert!(
        after > before,
        "class reward did not rise: {before} -> {after}"
    );
}
