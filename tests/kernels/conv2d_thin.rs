//! The thin kernels (3x3 from at most 4 channels) on their fused source x + v, as the first
//! ConvBlock records them (`ConvPlan::for_source`): forward, and the training plan's weight
//! gradient and (packed) input gradient, against the CPU conv of x + v built on the CPU.
//! Plain sources are tested with the other conv shapes (`conv2d`). Shaders: conv2d_thin,
//! conv2d_thin_weight and conv2d_thin_weight_reduce.

use wgpu_ddpm::kernels::conv2d::*;

use crate::common::tol::{abs, accumulate_bounds, assert_within, reduction_bounds};
use crate::common::*;
use crate::conv2d::shape;

fn check(s: Conv2dShape, seed: u64) {
    let gpu = gpu();
    let mut rng = HostRng::new(seed);
    let hw = s.h * s.w;
    let xa = rng.vec_normal(s.n * s.cin * hw);
    let v = rng.vec_normal(s.n * s.cin);
    let w = rng.vec_normal(s.cout * s.cin * 9);
    let bias = rng.vec_normal(s.cout);
    let dy = rng.vec_normal(s.n * s.cout * hw);
    let (dx0, dw0, db0) = (
        rng.vec_normal(xa.len()),
        rng.vec_normal(w.len()),
        rng.vec_normal(s.cout),
    );
    // The input the kernels must see: x + v broadcast over the pixels (one rounding, as here).
    let x: Vec<f32> = xa.iter().enumerate().map(|(i, a)| a + v[i / hw]).collect();
    let t = |d: &[f32]| upload(&gpu, d, &[d.len()]);
    let (xg, vg, wg, bg, dyg) = (t(&xa), t(&v), t(&w), t(&bias), t(&dy));
    let (dxg, dwg, dbg) = (t(&dx0), t(&dw0), t(&db0));
    let y = gpu.zeros(&[s.n * s.cout * hw]);
    let src = PackSource::Add { x: &xg, v: &vg };
    let plan = ConvPlan::for_source(&gpu, &s, src, true);
    let mut ds = plan.forward_from(&gpu, src, &wg, &bg, &y);
    ds.extend(plan.backward(&gpu, &wg, &dyg, Some(&dxg), Some(&dwg), Some(&dbg)));
    assert!(
        ds.iter().any(|d| d.label == "conv2d_thin")
            && ds.iter().any(|d| d.label == "conv2d_thin_backward_weight"),
        "{s:?} should run the thin kernels"
    );
    run(&gpu, ds);
    let tag = |t: &str| format!("conv2d_thin {t} {s:?}");
    let mag = conv2d_cpu(&s, &abs(&x), &abs(&w), &abs(&bias));
    assert_within(
        &tag("y"),
        &gpu.read(&y),
        &conv2d_cpu(&s, &x, &w, &bias),
        &reduction_bounds(s.cin * 9 + 1, &mag),
    );
    let (dx, dw, db) = conv2d_backward_cpu(&s, &x, &w, &dy);
    let (mx, mw, mb) = conv2d_backward_cpu(&s, &abs(&x), &abs(&w), &abs(&dy));
    let add = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(a, b)| a + b).collect::<Vec<f32>>();
    let nhw = s.n * hw;
    let checks = [
        (
            "dx",
            &dxg,
            add(&dx0, &dx),
            accumulate_bounds(s.cout * 9, &mx, &dx0),
        ),
        (
            "dw",
            &dwg,
            add(&dw0, &dw),
            accumulate_bounds(nhw, &mw, &dw0),
        ),
        (
            "db",
            &dbg,
            add(&db0, &db),
            accumulate_bounds(nhw, &mb, &db0),
        ),
    ];
    for (name, got, want, bounds) in checks {
        assert_within(&tag(name), &gpu.read(got), &want, &bounds);
    }
}

#[test]
fn conv2d_thin_from_x_plus_v() {
    for (i, s) in [
        shape(2, 1, 5, 3, 8, 3),
        shape(3, 3, 2, 4, 4, 3),
        shape(1, 4, 6, 2, 12, 3),
        shape(2, 1, 7, 1, 4, 3),
    ]
    .into_iter()
    .enumerate()
    {
        check(s, 100 + i as u64);
    }
}
