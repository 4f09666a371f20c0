use wgpu_ddpm::kernels::concat::*;

use crate::common::*;
use crate::elementwise_support::*;

// (n, c1, c2, hw): odd shapes, an empty half, planes of a multiple of 4 (the vec4 entries) and
// the seed's up1 concat (128 + 64 at 28x28) at batch 1.
const SHAPES: &[(usize, usize, usize, usize)] = &[
    (1, 1, 1, 1),
    (3, 5, 7, 63),
    (2, 3, 0, 9),
    (2, 0, 3, 8),
    (3, 5, 3, 4),
    (2, 3, 7, 12),
    (3, 2, 5, 7 * 9),
    (1, 128, 64, 28 * 28),
];

#[test]
fn concat_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(21);
    for &(n, c1, c2, hw) in SHAPES {
        let a = Filled::normal(&mut rng, &[n, c1, hw]);
        let b = Filled::normal(&mut rng, &[n, c2, hw]);
        // Garbage in y proves it is overwritten.
        let y = Filled::normal(&mut rng, &[n, c1 + c2, hw]);
        run(&gpu, [concat(&gpu, &a.dev, &b.dev, &y.dev)]);
        // A pure copy: exact.
        let want = concat_cpu(n, c1, c2, hw, &a.host, &b.host);
        assert_exact(
            &format!("concat {n}x({c1}+{c2})x{hw}"),
            &read(&y.dev),
            &want,
        );
    }
}

#[test]
fn concat_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(22);
    for &(n, c1, c2, hw) in SHAPES {
        let dy = Filled::normal(&mut rng, &[n, c1 + c2, hw]);
        let da = Filled::normal(&mut rng, &[n, c1, hw]);
        let db = Filled::normal(&mut rng, &[n, c2, hw]);
        run(&gpu, [concat_backward(&gpu, &dy.dev, &da.dev, &db.dev)]);
        let (da_want, db_want) = concat_backward_cpu(n, c1, c2, hw, &dy.host);
        // One f32 addition per element, as in the reference: correctly rounded either way.
        da.assert_accumulated("concat da", &da_want, 0.0, ONE_ULP);
        db.assert_accumulated("concat db", &db_want, 0.0, ONE_ULP);
    }
}

#[test]
fn concat_backward_finite_difference() {
    // L = sum(r * cat(a, b)); gradients of a and b vs central differences in f64.
    let gpu = gpu();
    let mut rng = HostRng::new(23);
    let (n, c1, c2, hw) = (2, 3, 2, 5);
    let (a, b, r) = (
        rng.vec_normal(n * c1 * hw),
        rng.vec_normal(n * c2 * hw),
        rng.vec_normal(n * (c1 + c2) * hw),
    );
    // cat(a, b) in f64: per image, a's channels then b's.
    let cat = |a: &[f64], b: &[f64]| -> Vec<f64> {
        let (a, b) = (a.chunks(c1 * hw), b.chunks(c2 * hw));
        a.zip(b)
            .flat_map(|(a, b)| a.iter().chain(b))
            .copied()
            .collect()
    };
    let rg = upload(&gpu, &r, &[n, c1 + c2, hw]);
    let (dag, dbg) = (gpu.zeros(&[n, c1, hw]), gpu.zeros(&[n, c2, hw]));
    run(&gpu, [concat_backward(&gpu, &rg, &dag, &dbg)]);
    fd_check_partials(
        "concat fd",
        [&f64s(&a), &f64s(&b)],
        1e-3,
        |[a, b]| weighted_sum(&cat(a, b), &r),
        [
            ("da", &gpu.read(&dag), 1e-6, 1e-6),
            ("db", &gpu.read(&dbg), 1e-6, 1e-6),
        ],
    );
}
