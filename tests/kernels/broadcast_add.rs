use wgpu_ddpm::gpu::Gpu;
use wgpu_ddpm::kernels::broadcast_add::*;

use crate::common::*;
use crate::elementwise_support::*;

// (n, c, hw): odd shapes (hw below, at and above the 64-thread row workgroup) and seed shapes
// at batch 2 (down2's input: 64 channels at 14x14; up1's input: 192 channels at 28x28).
// Rows of hw % 4 == 0 take the vec4 entries (hw = 4, 300, 260: hw / 4 = 1, 75, 65 vec4s,
// below and past the 64 lanes), the others the f32 ones.
const SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (1, 1, 4),
    (3, 5, 63),
    (3, 5, 7 * 9),
    (2, 3, 65),
    (1, 2, 300),
    (2, 3, 260),
    (2, 64, 14 * 14),
    (2, 192, 28 * 28),
];

#[test]
fn broadcast_add_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(31);
    for &(n, c, hw) in SHAPES {
        let x = Filled::normal(&mut rng, &[n, c, hw]);
        let v = Filled::normal(&mut rng, &[n, c]);
        // Garbage in y proves it is overwritten.
        let y = Filled::normal(&mut rng, &[n, c, hw]);
        run(
            &gpu,
            [broadcast_add(&gpu, n, c, hw, &x.dev, &v.dev, &y.dev)],
        );
        // One f32 addition, as in the reference: correctly rounded either way.
        let want = broadcast_add_cpu(n, c, hw, &x.host, &v.host);
        assert_rounded(&format!("broadcast_add {n}x{c}x{hw}"), &read(&y.dev), &want);
    }
}

#[test]
fn broadcast_add_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(32);
    for &(n, c, hw) in SHAPES {
        let [dy, dx] = [(); 2].map(|_| Filled::normal(&mut rng, &[n, c, hw]));
        let dv = Filled::normal(&mut rng, &[n, c]);
        run(
            &gpu,
            broadcast_add_backward(&gpu, n, c, hw, &dy.dev, &dx.dev, &dv.dev),
        );
        let (dx_want, dv_want) = broadcast_add_backward_cpu(n, c, hw, &dy.host);
        dx.assert_accumulated("broadcast_add dx", &dx_want, 0.0, ONE_ULP);
        // dv sums hw values onto the prefill.
        let what = format!("broadcast_add dv {n}x{c}x{hw}");
        dv_within(&what, &dv, &dv_want, (n, c, hw), &dy.host);
    }
}

#[test]
fn broadcast_add_backward_is_deterministic() {
    let gpu = gpu();
    let mut rng = HostRng::new(34);
    let (n, c, hw) = (2, 7, 200);
    let dy = rng.vec_normal(n * c * hw);
    let dyg = upload(&gpu, &dy, &[n, c, hw]);
    assert_deterministic("dv", || {
        let (dxg, dvg) = (gpu.zeros(&[n, c, hw]), gpu.zeros(&[n, c]));
        run(
            &gpu,
            broadcast_add_backward(&gpu, n, c, hw, &dyg, &dxg, &dvg),
        );
        gpu.read(&dvg)
    });
}

#[test]
fn broadcast_add_backward_finite_difference() {
    // L = sum(r * (x + v broadcast)); gradients of x and v vs central differences in f64.
    let gpu = gpu();
    let mut rng = HostRng::new(33);
    for (n, c, hw) in [(2, 3, 5), (2, 3, 8)] {
        fd_case(&gpu, &mut rng, n, c, hw);
    }
}

fn fd_case(gpu: &Gpu, rng: &mut HostRng, n: usize, c: usize, hw: usize) {
    let (x, v, r) = (
        rng.vec_normal(n * c * hw),
        rng.vec_normal(n * c),
        rng.vec_normal(n * c * hw),
    );
    let rg = upload(gpu, &r, &[n, c, hw]);
    let (dxg, dvg) = (gpu.zeros(&[n, c, hw]), gpu.zeros(&[n, c]));
    run(gpu, broadcast_add_backward(gpu, n, c, hw, &rg, &dxg, &dvg));
    // L is linear: central differences are exact up to f64 rounding; dv is an f32 sum of hw.
    fd_check_partials(
        "broadcast_add fd",
        [&f64s(&x), &f64s(&v)],
        1e-3,
        |[x, v]| {
            weighted_sum(
                &(0..n * c * hw)
                    .map(|i| x[i] + v[i / hw])
                    .collect::<Vec<_>>(),
                &r,
            )
        },
        [
            ("dx", &gpu.read(&dxg), 1e-6, 1e-6),
            ("dv", &gpu.read(&dvg), 1e-5, 1e-5),
        ],
    );
}

/// The split entry (backward of cat(a, b) + v): da and db get their channels of dy, dv its
/// row sums, all accumulated, matching the plain backward's CPU reference split by channel.
#[test]
fn broadcast_add_backward_split_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(60);
    // f32 entry (hw % 4 != 0) and vec4 entry.
    let cases = [
        (2, 5, 2, 7),
        (3, 3, 1, 64 * 3 + 5),
        (1, 9, 8, 1),
        (2, 5, 2, 12),
        (3, 3, 1, 4 * 65),
        (1, 9, 8, 4),
    ];
    for (n, c, ca, hw) in cases {
        let dy = Filled::normal(&mut rng, &[n * c * hw]);
        let da = Filled::normal(&mut rng, &[n * ca * hw]);
        let db = Filled::normal(&mut rng, &[n * (c - ca) * hw]);
        let dv = Filled::normal(&mut rng, &[n * c]);
        run(
            &gpu,
            broadcast_add_backward_split(&gpu, n, c, ca, hw, &dy.dev, &da.dev, &db.dev, &dv.dev),
        );
        let (dx_want, dv_want) = broadcast_add_backward_cpu(n, c, hw, &dy.host);
        let (mut da_want, mut db_want) = (vec![], vec![]);
        for (row, chunk) in dx_want.chunks(hw).enumerate() {
            let dst = if row % c < ca {
                &mut da_want
            } else {
                &mut db_want
            };
            dst.extend_from_slice(chunk);
        }
        let what = format!("broadcast_add_backward_split n={n} c={c} ca={ca} hw={hw}");
        // da and db: dy (exact) added once; dv sums hw values onto the prefill.
        da.assert_accumulated(&format!("{what} da"), &da_want, 0.0, ONE_ULP);
        db.assert_accumulated(&format!("{what} db"), &db_want, 0.0, ONE_ULP);
        dv_within(&format!("{what} dv"), &dv, &dv_want, (n, c, hw), &dy.host);
    }
}

/// dv (accumulated) against the reference within gamma(hw + 1) of its magnitude.
fn dv_within(
    what: &str,
    dv: &Filled,
    fresh: &[f32],
    (n, c, hw): (usize, usize, usize),
    dy: &[f32],
) {
    let (_, mag) = broadcast_add_backward_cpu(n, c, hw, &tol::abs(dy));
    let want: Vec<f32> = dv.host.iter().zip(fresh).map(|(a, b)| a + b).collect();
    let bounds = tol::accumulate_bounds(hw, &mag, &dv.host);
    tol::assert_within(what, &read(&dv.dev), &want, &bounds);
}
