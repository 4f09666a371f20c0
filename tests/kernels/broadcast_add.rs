use wgpu_ddpm::kernels::broadcast_add::*;

use crate::common::*;

// (n, c, hw): odd shapes (hw below, at and above the 64-thread row workgroup) and seed shapes
// at batch 2 (down2's input: 64 channels at 14x14; up1's input: 192 channels at 28x28).
const SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (3, 5, 63),
    (3, 5, 7 * 9),
    (2, 3, 65),
    (1, 2, 300),
    (2, 64, 14 * 14),
    (2, 192, 28 * 28),
];

#[test]
fn broadcast_add_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(31);
    for &(n, c, hw) in SHAPES {
        let (x, v, y0) = (
            rng.vec_normal(n * c * hw),
            rng.vec_normal(n * c),
            rng.vec_normal(n * c * hw),
        );
        let (xg, vg, yg) = (
            upload(&gpu, &x, &[n, c, hw]),
            upload(&gpu, &v, &[n, c]),
            upload(&gpu, &y0, &[n, c, hw]),
        );
        run(&gpu, [broadcast_add(&gpu, n, c, hw, &xg, &vg, &yg)]);
        // One f32 addition, same as the reference: exact.
        assert_close(
            &format!("broadcast_add {n}x{c}x{hw}"),
            &gpu.read(&yg),
            &broadcast_add_cpu(n, c, hw, &x, &v),
            0.0,
            0.0,
        );
    }
}

#[test]
fn broadcast_add_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(32);
    for &(n, c, hw) in SHAPES {
        let (dy, dx0, dv0) = (
            rng.vec_normal(n * c * hw),
            rng.vec_normal(n * c * hw),
            rng.vec_normal(n * c),
        );
        let (dyg, dxg, dvg) = (
            upload(&gpu, &dy, &[n, c, hw]),
            upload(&gpu, &dx0, &[n, c, hw]),
            upload(&gpu, &dv0, &[n, c]),
        );
        run(
            &gpu,
            broadcast_add_backward(&gpu, n, c, hw, &dyg, &dxg, &dvg),
        );
        let (dx, dv) = broadcast_add_backward_cpu(n, c, hw, &dy);
        assert_accumulates("broadcast_add dx", &gpu.read(&dxg), &dx0, &dx, 0.0, 0.0);
        // f32 tree sum of hw <= 784 N(0,1) values (|sum| ~ 28) vs f64: a few ulps of the partials.
        assert_accumulates(
            &format!("broadcast_add dv {n}x{c}x{hw}"),
            &gpu.read(&dvg),
            &dv0,
            &dv,
            1e-5 * (hw as f32).sqrt(),
            1e-5,
        );
    }
}

#[test]
fn broadcast_add_backward_is_deterministic() {
    let gpu = gpu();
    let mut rng = HostRng::new(34);
    let (n, c, hw) = (2, 7, 200);
    let dy = rng.vec_normal(n * c * hw);
    let dyg = upload(&gpu, &dy, &[n, c, hw]);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (dxg, dvg) = (gpu.zeros(&[n, c, hw]), gpu.zeros(&[n, c]));
        run(
            &gpu,
            broadcast_add_backward(&gpu, n, c, hw, &dyg, &dxg, &dvg),
        );
        seen.push(
            gpu.read(&dvg)
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<u32>>(),
        );
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "dv differs between runs"
    );
}

#[test]
fn broadcast_add_backward_finite_difference() {
    // L = sum(r * (x + v broadcast)); gradients of x and v vs central differences in f64.
    let gpu = gpu();
    let mut rng = HostRng::new(33);
    let (n, c, hw) = (2, 3, 5);
    let (x, v, r) = (
        rng.vec_normal(n * c * hw),
        rng.vec_normal(n * c),
        rng.vec_normal(n * c * hw),
    );
    let loss = |x: &[f64], v: &[f64]| {
        (0..n * c * hw)
            .map(|i| r[i] as f64 * (x[i] + v[i / hw]))
            .sum::<f64>()
    };
    let (xd, vd) = (f64s(&x), f64s(&v));
    let rg = upload(&gpu, &r, &[n, c, hw]);
    let (dxg, dvg) = (gpu.zeros(&[n, c, hw]), gpu.zeros(&[n, c]));
    run(
        &gpu,
        broadcast_add_backward(&gpu, n, c, hw, &rg, &dxg, &dvg),
    );
    // L is linear: central differences are exact up to f64 rounding; dv is an f32 sum of 5.
    fd_check(
        "broadcast_add fd dx",
        &gpu.read(&dxg),
        &xd,
        1e-3,
        |a| loss(a, &vd),
        1e-6,
        1e-6,
    );
    fd_check(
        "broadcast_add fd dv",
        &gpu.read(&dvg),
        &vd,
        1e-3,
        |a| loss(&xd, a),
        1e-5,
        1e-5,
    );
}

/// The split entry (backward of cat(a, b) + v): da and db get their channels of dy, dv its
/// row sums, all accumulated, matching the plain backward's CPU reference split by channel.
#[test]
fn broadcast_add_backward_split_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(60);
    for (n, c, ca, hw) in [(2, 5, 2, 7), (3, 3, 1, 64 * 3 + 5), (1, 9, 8, 1)] {
        let dy = rng.vec_normal(n * c * hw);
        let (da0, db0) = (
            rng.vec_normal(n * ca * hw),
            rng.vec_normal(n * (c - ca) * hw),
        );
        let dv0 = rng.vec_normal(n * c);
        let t = |v: &[f32]| upload(&gpu, v, &[v.len()]);
        let (dyg, dag, dbg, dvg) = (t(&dy), t(&da0), t(&db0), t(&dv0));
        run(
            &gpu,
            broadcast_add_backward_split(&gpu, n, c, ca, hw, &dyg, &dag, &dbg, &dvg),
        );
        let (dx, dv) = broadcast_add_backward_cpu(n, c, hw, &dy);
        let (mut da, mut db) = (vec![], vec![]);
        for (row, chunk) in dx.chunks(hw).enumerate() {
            let dst = if row % c < ca { &mut da } else { &mut db };
            dst.extend_from_slice(chunk);
        }
        let what = format!("broadcast_add_backward_split n={n} c={c} ca={ca} hw={hw}");
        assert_accumulates(
            &format!("{what} da"),
            &gpu.read(&dag),
            &da0,
            &da,
            1e-6,
            1e-6,
        );
        assert_accumulates(
            &format!("{what} db"),
            &gpu.read(&dbg),
            &db0,
            &db,
            1e-6,
            1e-6,
        );
        assert_accumulates(
            &format!("{what} dv"),
            &gpu.read(&dvg),
            &dv0,
            &dv,
            1e-4,
            1e-4,
        );
    }
}
