//! Gradients through recorded sampler chains (DDIM and DPM-Solver++ 2M) against finite
//! differences, and the fine-tuner's samples against the sampler's.

use super::*;

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
    println!("finetuner vs sampler: max abs difference {worst}");
    assert!(
        worst < 1e-3,
        "finetuner and sampler differ by up to {worst}"
    );
}
