//! DPM-Solver++ 2M steps: the kernel and its backward against the f64 CPU references (bounds
//! from `tol::Tracked`: the kernel's only arithmetic is a few products and sums of f32-rounded
//! coefficients), the first and last steps' edge cases, and two chained steps' gradients
//! (CPU references and the tape op) against finite differences. The sampler built on them:
//! `dpm_sampler.rs`.

use wgpu_ddpm::diffusion::sampler::linspace_timesteps;
use wgpu_ddpm::diffusion::{Prediction, Schedule, ScheduleKind};
use wgpu_ddpm::gpu::GpuTensor;
use wgpu_ddpm::kernels::dpm_solver::*;

use crate::common::tol::{assert_within, Tracked, U};
use crate::common::*;
use crate::elementwise_support::*;

/// (n, chw): odd lengths, one element, and more than one workgroup of 256.
const SHAPES: [(usize, usize); 3] = [(3, 35), (1, 1), (3, 101)];

pub(crate) struct Table {
    pub s: Schedule,
    pub ts: Vec<u32>,
    pub coef: Vec<DpmCoef>,
    pub dev: GpuTensor,
}

pub(crate) fn table(kind: ScheduleKind, t_max: usize, steps: usize) -> Table {
    let s = Schedule::new(kind, t_max).unwrap();
    let ts = linspace_timesteps(t_max, steps);
    let coef = dpm_coefficients(&s.abar, &ts);
    let dev = gpu().upload(&gpu_coefficients(&coef), &[steps, COEF_FLOATS]);
    Table { s, ts, coef, dev }
}

pub(crate) fn step(t: &Table, pred: Prediction, clip: bool, k: usize) -> DpmStep {
    DpmStep {
        pred,
        clip_x0: clip,
        coef: t.dev.clone(),
        state: gpu().upload_u32(&[k as u32, 7, 0, 0], &[4]),
    }
}

/// The kernel's (d/dx, d/dout) of the predicted x0 as the f32 values it holds, tracked.
pub(crate) fn x0_coef(c: &DpmCoef, pred: Prediction) -> (Tracked, Tracked) {
    let held = |v: f64| Tracked::held(v as f32, v);
    match pred {
        Prediction::Eps => (held(1.0 / c.alpha_s), held(-c.sigma_s / c.alpha_s)),
        Prediction::X0 => (Tracked::exact(0.0), Tracked::exact(1.0)),
        Prediction::V => (held(c.alpha_s), held(-c.sigma_s)),
    }
}

/// Model outputs whose predicted x0 stays 0.05 away from the clamp's kinks at +-1, so that
/// the f32 kernel and the f64 reference clamp the same elements.
pub(crate) fn inputs(len: usize, c: &DpmCoef, pred: Prediction, seed: u64) -> (Vec<f32>, Vec<f32>) {
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
                    let g2 = Filled::normal(&mut rng, &[2, n, chw]);
                    let (g, g0) = g2.host.split_at(len);
                    let [dx, dout, dprev] = [(); 3].map(|_| Filled::normal(&mut rng, &[n, chw]));
                    let (xg, og) = (upload(&gpu, &x, &[n, chw]), upload(&gpu, &out, &[n, chw]));
                    let st = step(&t, pred, clip, k);
                    run(
                        &gpu,
                        [dpm_solver_backward(
                            &gpu, n, chw, &st, &g2.dev, &xg, &og, &dx.dev, &dout.dev, &dprev.dev,
                        )],
                    );
                    let fresh = dpm_solver_backward_cpu(c, pred, clip, g, g0, &x, &out);
                    let fresh = [fresh.0, fresh.1, fresh.2];
                    let held = |v: f64| Tracked::held(v as f32, v);
                    let (q, r) = x0_coef(c, pred);
                    let what = format!("dpm_solver_backward {kind:?} k {k} {pred} clip {clip}");
                    for (j, (name, buf)) in [("dx", &dx), ("dout", &dout), ("dprev", &dprev)]
                        .into_iter()
                        .enumerate()
                    {
                        let mut want = vec![];
                        let mut bounds = vec![];
                        for e in 0..len {
                            let ge = Tracked::exact(g[e]);
                            let mut gd = held(c.c0).mul(ge).add(Tracked::exact(g0[e]));
                            if clip && (q.v * x[e] as f64 + r.v * out[e] as f64).abs() > 1.0 {
                                gd = Tracked::exact(0.0);
                            }
                            let before = Tracked::exact(buf.host[e]);
                            let v = match j {
                                0 => before.add(held(c.a).mul(ge)).add(q.mul(gd)),
                                1 => before.add(r.mul(gd)),
                                _ => before.add(held(c.c1).mul(ge)),
                            };
                            // The reference's fresh value and the sum are each rounded to f32.
                            let w = buf.host[e] + fresh[j][e];
                            want.push(w);
                            bounds.push(v.e + U * (fresh[j][e].abs() + w.abs()) as f64);
                        }
                        let got = gpu.read(&buf.dev);
                        assert_within(&format!("{what} {name}"), &got, &want, &bounds);
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

#[test]
fn tape_chain_gradients_match_finite_differences() {
    // Graph::dpm_solver twice (steps 3 and 4 of 8, both second order, the first step's x0
    // feeding the second), L = mean((x'' - target)^2) + mean((D0'' - target)^2): every
    // input's gradient from the tape vs central differences of the f64 steps.
    use crate::tape::{mse_f64, param, run_tape};
    use wgpu_ddpm::model::graph::Graph;
    let gpu = gpu();
    let (n, chw) = (3, 7);
    let len = n * chw;
    let sh = [n, chw];
    for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
        let t = table(kind, 100, 8);
        let (c1, c2) = (t.coef[3], t.coef[4]);
        for pred in Prediction::ALL {
            let (x, o1) = inputs(len, &c1, pred, 21);
            let mut rng = HostRng::new(22);
            let (o2, prev, target) = (
                rng.vec_normal(len),
                rng.vec_normal(len),
                rng.vec_normal(len),
            );
            let mut g = Graph::new(&gpu, true);
            let vs = [&x, &o1, &o2, &prev].map(|h| param(&mut g, h, &sh));
            let (x1, d1) = g.dpm_solver(&vs[0], &vs[1], &vs[3], &step(&t, pred, false, 3));
            let (x2, d2) = g.dpm_solver(&x1, &vs[2], &d1, &step(&t, pred, false, 4));
            let tg = upload(&gpu, &target, &sh);
            g.mse(&x2, &tg);
            g.mse(&d2, &tg);
            run_tape(&gpu, g);
            let f = |[x, o1, o2, p]: [&[f64]; 4]| -> f64 {
                let (mut a, mut b) = (vec![], vec![]);
                for e in 0..len {
                    let (x1, d1) = dpm_step(&c1, pred, false, x[e], o1[e], p[e]);
                    let (x2, d2) = dpm_step(&c2, pred, false, x1, o2[e], d1);
                    a.push(x2);
                    b.push(d2);
                }
                mse_f64(&a, &target) + mse_f64(&b, &target)
            };
            let grads = vs.each_ref().map(|v| gpu.read(v.grad.as_ref().unwrap()));
            // Gradients of means over 21 values: O(0.1); f32 tape vs f64 differences.
            fd_check_partials(
                &format!("tape dpm {kind:?} {pred}"),
                [&f64s(&x), &f64s(&o1), &f64s(&o2), &f64s(&prev)],
                1e-5,
                f,
                [
                    ("x", &grads[0], 1e-4, 1e-3),
                    ("out k", &grads[1], 1e-4, 1e-3),
                    ("out k+1", &grads[2], 1e-4, 1e-3),
                    ("x0_prev", &grads[3], 1e-4, 1e-3),
                ],
            );
        }
    }
}
