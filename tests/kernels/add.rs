use wgpu_ddpm::kernels::add::*;
use wgpu_ddpm::model::graph::Graph;

use crate::common::*;
use crate::elementwise_support::*;
use crate::tape::{mse_f64, param, run_tape};

#[test]
fn add_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(80);
    for n in [1usize, 7, 255, 257, 3 * 5 * 7 * 9] {
        let [a, b] = [(); 2].map(|_| Filled::normal(&mut rng, &[n]));
        let yg = upload(&gpu, &vec![7.0; n], &[n]);
        run(&gpu, [add(&gpu, &a.dev, &b.dev, &yg)]);
        // One f32 addition on both sides, correctly rounded either way.
        assert_rounded("add", &gpu.read(&yg), &add_cpu(&a.host, &b.host));
    }
}

#[test]
fn add_backward_routes_dy_into_both_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(81);
    let n = 3 * 5 * 7;
    let (dy, a0, b0) = (rng.vec_normal(n), rng.vec_normal(n), rng.vec_normal(n));
    let dyg = upload(&gpu, &dy, &[n]);
    // Both gradients, then each alone (the other input needs none).
    for (with_a, with_b) in [(true, true), (true, false), (false, true)] {
        let (da, db) = (Filled::new(a0.clone(), &[n]), Filled::new(b0.clone(), &[n]));
        let ds = add_backward(
            &gpu,
            &dyg,
            with_a.then_some(&da.dev),
            with_b.then_some(&db.dev),
        );
        assert_eq!(ds.len(), 1, "one dispatch whatever is skipped");
        run(&gpu, ds);
        let want = |on: bool| if on { dy.clone() } else { vec![0.0; n] };
        da.assert_accumulated("da", &want(with_a), 0.0, ONE_ULP);
        db.assert_accumulated("db", &want(with_b), 0.0, ONE_ULP);
    }
}

#[test]
fn add_backward_of_a_plus_a_adds_twice() {
    // y = a + a: both gradients are one buffer, which gets 2 dy (two dispatches).
    let gpu = gpu();
    let mut rng = HostRng::new(82);
    let n = 37;
    let (dy, a0) = (rng.vec_normal(n), rng.vec_normal(n));
    let da = upload(&gpu, &a0, &[n]);
    let ds = add_backward(&gpu, &upload(&gpu, &dy, &[n]), Some(&da), Some(&da));
    assert_eq!(ds.len(), 2);
    run(&gpu, ds);
    let twice: Vec<f32> = dy.iter().map(|g| 2.0 * g).collect();
    // (a0 + dy) + dy rounds twice, the reference a0 + 2 dy once: three roundings of values
    // at most |a0| + 2|dy|.
    let want: Vec<f32> = a0.iter().zip(&twice).map(|(a, t)| a + t).collect();
    let bounds: Vec<f64> = a0
        .iter()
        .zip(&dy)
        .map(|(a, g)| 3.0 * tol::U * (a.abs() + 2.0 * g.abs()) as f64)
        .collect();
    tol::assert_within("d(a + a)", &gpu.read(&da), &want, &bounds);
}

#[test]
fn graph_add_and_activations_gradients_match_finite_differences() {
    // L = mse(gelu(a) + silu(b) + a, target): a feeds two ops, so its gradient accumulates
    // a residual path and the activation's.
    let gpu = gpu();
    let mut rng = HostRng::new(83);
    let sh = [2usize, 3, 5];
    let n = 30;
    let (a, b, target) = (rng.vec_normal(n), rng.vec_normal(n), rng.vec_normal(n));
    let mut g = Graph::new(&gpu, true);
    let (av, bv) = (param(&mut g, &a, &sh), param(&mut g, &b, &sh));
    let (ga, sb) = (g.gelu(&av), g.silu(&bv));
    let s = g.add(&ga, &sb);
    let y = g.add(&s, &av);
    g.mse(&y, &upload(&gpu, &target, &sh));
    run_tape(&gpu, g);
    use wgpu_ddpm::kernels::{gelu::gelu_f64, silu::silu_f64};
    let loss = |a: &[f64], b: &[f64]| {
        let y: Vec<f64> = a
            .iter()
            .zip(b)
            .map(|(a, b)| gelu_f64(*a) + silu_f64(*b) + a)
            .collect();
        mse_f64(&y, &target)
    };
    // Gradients of a mean over 30 values: O(0.1).
    let rd = |v: &wgpu_ddpm::model::graph::Var| gpu.read(v.grad.as_ref().unwrap());
    fd_check_partials(
        "graph add",
        [&f64s(&a), &f64s(&b)],
        1e-4,
        |[a, b]| loss(a, b),
        [("da", &rd(&av), 1e-6, 1e-4), ("db", &rd(&bv), 1e-6, 1e-4)],
    );
}

#[test]
fn graph_add_of_a_value_with_itself() {
    // L = mse(a + a, target): dL/da = 4 (2a - t) / n.
    let gpu = gpu();
    let mut rng = HostRng::new(84);
    let n = 13;
    let (a, target) = (rng.vec_normal(n), rng.vec_normal(n));
    let mut g = Graph::new(&gpu, true);
    let av = param(&mut g, &a, &[n]);
    let y = g.add(&av, &av);
    g.mse(&y, &upload(&gpu, &target, &[n]));
    run_tape(&gpu, g);
    let want: Vec<f32> = a
        .iter()
        .zip(&target)
        .map(|(a, t)| 4.0 * (2.0 * a - t) / n as f32)
        .collect();
    assert_close(
        "d(a + a)",
        &gpu.read(av.grad.as_ref().unwrap()),
        &want,
        1e-6,
        1e-5,
    );
}

#[test]
#[should_panic(expected = "add: b has shape [6], want 5 elements")]
fn add_rejects_different_sizes() {
    let gpu = gpu();
    add(&gpu, &gpu.zeros(&[5]), &gpu.zeros(&[6]), &gpu.zeros(&[5]));
}
