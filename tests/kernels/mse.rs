use wgpu_ddpm::kernels::mse::*;

use crate::common::tol::{abs, accumulate_bounds, assert_within, bound};
use crate::common::*;
use crate::elementwise_support::*;

// Sizes around the 2048-element chunk and the 256-partial second pass, and the seed's loss
// over a batch of 2 MNIST images (2 x 1 x 28 x 28).
const SIZES: &[usize] = &[
    1,
    7,
    255,
    2047,
    2048,
    2049,
    3 * 5 * 7 * 9,
    2 * 28 * 28,
    2048 * 300 + 5,
];

/// The most adds any one of n terms passes through in `mse`'s two-pass sum: CHUNK / 256
/// per lane, the 8-level workgroup tree, then ceil(chunks / 256) per lane of the second
/// pass and its tree.
pub fn sum_depth(n: usize) -> usize {
    CHUNK / 256 + 8 + n.div_ceil(CHUNK).div_ceil(256) + 8
}

#[test]
fn mse_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(51);
    for &n in SIZES {
        let (p, t) = (rng.vec_normal(n), rng.vec_normal(n));
        let (pg, tg, lg) = (
            upload(&gpu, &p, &[n]),
            upload(&gpu, &t, &[n]),
            upload(&gpu, &[123.0], &[1]),
        );
        run(&gpu, mse(&gpu, &pg, &tg, &lg));
        // Each square carries 3 roundings (difference, product). A fixed tree adds it at
        // most `sum_depth` times: gamma(depth) of the sum of the (positive) terms (Higham
        // 4.2), not gamma(n). Then 1/N (host), the product, the reference's rounding.
        let depth = sum_depth(n);
        let want = mse_cpu(&p, &t);
        assert_within(
            &format!("mse n={n}"),
            &gpu.read(&lg),
            &[want],
            &[bound(3.0, depth, want as f64)],
        );
    }
}

#[test]
fn mse_is_deterministic() {
    let gpu = gpu();
    let mut rng = HostRng::new(54);
    let n = 2048 * 7 + 13;
    let (p, t) = (rng.vec_normal(n), rng.vec_normal(n));
    let (pg, tg) = (upload(&gpu, &p, &[n]), upload(&gpu, &t, &[n]));
    assert_deterministic("mse", || {
        let lg = gpu.zeros(&[1]);
        run(&gpu, mse(&gpu, &pg, &tg, &lg));
        gpu.read(&lg)
    });
}

#[test]
fn mse_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(52);
    for &n in SIZES {
        let [p, t, d] = [(); 3].map(|_| Filled::normal(&mut rng, &[n]));
        run(&gpu, [mse_backward(&gpu, &p.dev, &t.dev, &d.dev)]);
        let fresh = mse_backward_cpu(&p.host, &t.host);
        // The GPU rounds the difference, the product by 2/N (rounded on the host) and the
        // add; the reference the fresh gradient and its add: six roundings of at most
        // |fresh| + |prefill|, within accumulate_bounds' gamma(6) + U.
        let want: Vec<f32> = d.host.iter().zip(&fresh).map(|(a, b)| a + b).collect();
        assert_within(
            &format!("mse_backward n={n}"),
            &read(&d.dev),
            &want,
            &accumulate_bounds(5, &abs(&fresh), &d.host),
        );
    }
}

#[test]
fn mse_backward_finite_difference() {
    // L = mean((pred - target)^2); dL/dpred from the GPU vs central differences in f64.
    let gpu = gpu();
    let mut rng = HostRng::new(53);
    let n = 37;
    let [p, t] = [(); 2].map(|_| Filled::normal(&mut rng, &[n]));
    let dg = gpu.zeros(&[n]);
    run(&gpu, [mse_backward(&gpu, &p.dev, &t.dev, &dg)]);
    // Quadratic: central differences are exact up to f64 rounding (~1e-11).
    let loss = |x: &[f64]| crate::tape::mse_f64(x, &t.host);
    let p64 = f64s(&p.host);
    fd_check("mse fd", &gpu.read(&dg), &p64, 1e-4, loss, 1e-6, 1e-5);
}

/// Positive per-image weights for `n` images, spread over several decades as min-SNR's are.
fn weights(rng: &mut HostRng, n: usize) -> Vec<f32> {
    rng.vec_uniform(n, -3.0, 1.0)
        .iter()
        .map(|e| 10f32.powf(*e))
        .collect()
}

// (images, elements per image): odd image sizes, one image, and images straddling chunks.
const IMAGES: &[(usize, usize)] = &[(1, 1), (3, 7), (5, 2 * 28 * 28), (7, 333), (300, 2048 + 5)];

#[test]
fn mse_weighted_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(55);
    for &(n, chw) in IMAGES {
        let len = n * chw;
        let (p, t, w) = (
            rng.vec_normal(len),
            rng.vec_normal(len),
            weights(&mut rng, n),
        );
        let (pg, tg, wg, lg) = (
            upload(&gpu, &p, &[len]),
            upload(&gpu, &t, &[len]),
            upload(&gpu, &w, &[n]),
            gpu.zeros(&[1]),
        );
        run(&gpu, mse_weighted(&gpu, &pg, &tg, &wg, &lg));
        // As the unweighted bound, with one more rounding (the weight's product) per term.
        let want = mse_weighted_cpu(&p, &t, &w);
        let b = bound(4.0, sum_depth(len), want as f64);
        assert_within(
            &format!("mse_weighted {n}x{chw}"),
            &gpu.read(&lg),
            &[want],
            &[b],
        );
    }
}

#[test]
fn mse_weighted_with_unit_weights_is_bitwise_mse() {
    // Without --min-snr-gamma training runs the unweighted entry; with weights of 1 the
    // weighted one adds the same squares in the same order (x 1 is exact), loss and gradient.
    let gpu = gpu();
    let mut rng = HostRng::new(56);
    let (n, chw) = (6, 2048 + 77);
    let len = n * chw;
    let (p, t) = (rng.vec_normal(len), rng.vec_normal(len));
    let (pg, tg, wg) = (
        upload(&gpu, &p, &[len]),
        upload(&gpu, &t, &[len]),
        upload(&gpu, &vec![1.0; n], &[n]),
    );
    let (a, b) = (gpu.zeros(&[1]), gpu.zeros(&[1]));
    run(&gpu, mse(&gpu, &pg, &tg, &a));
    run(&gpu, mse_weighted(&gpu, &pg, &tg, &wg, &b));
    assert_eq!(gpu.read(&a)[0].to_bits(), gpu.read(&b)[0].to_bits());
    let (da, db) = (gpu.zeros(&[len]), gpu.zeros(&[len]));
    run(&gpu, [mse_backward_over(&gpu, &pg, &tg, &da, len * 2)]);
    run(
        &gpu,
        [mse_backward_weighted_over(
            &gpu,
            &pg,
            &tg,
            &wg,
            &db,
            len * 2,
        )],
    );
    assert_exact("unit-weight gradient", &read(&db), &read(&da));
}

#[test]
fn mse_backward_weighted_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(57);
    for &(n, chw) in IMAGES {
        let len = n * chw;
        let [p, t, d] = [(); 3].map(|_| Filled::normal(&mut rng, &[len]));
        let w = weights(&mut rng, n);
        let wg = upload(&gpu, &w, &[n]);
        run(
            &gpu,
            [mse_backward_weighted_over(
                &gpu, &p.dev, &t.dev, &wg, &d.dev, len,
            )],
        );
        let fresh = mse_backward_weighted_cpu(&p.host, &t.host, &w);
        // The unweighted kernel's roundings and one more product (the weight).
        let want: Vec<f32> = d.host.iter().zip(&fresh).map(|(a, b)| a + b).collect();
        assert_within(
            &format!("mse_backward_weighted {n}x{chw}"),
            &read(&d.dev),
            &want,
            &accumulate_bounds(6, &abs(&fresh), &d.host),
        );
    }
}

#[test]
fn mse_backward_weighted_finite_difference() {
    // L = (1/N) sum_e w[e / chw] (pred_e - target_e)^2 in f64, 3 images of 7.
    let gpu = gpu();
    let mut rng = HostRng::new(58);
    let (n, chw) = (3, 7);
    let [p, t] = [(); 2].map(|_| Filled::normal(&mut rng, &[n * chw]));
    let w = weights(&mut rng, n);
    let dg = gpu.zeros(&[n * chw]);
    let wg = upload(&gpu, &w, &[n]);
    run(
        &gpu,
        [mse_backward_weighted_over(
            &gpu,
            &p.dev,
            &t.dev,
            &wg,
            &dg,
            n * chw,
        )],
    );
    let loss = |x: &[f64]| {
        let s: f64 = x
            .iter()
            .zip(&t.host)
            .enumerate()
            .map(|(e, (x, t))| w[e / chw] as f64 * (x - *t as f64).powi(2))
            .sum();
        s / x.len() as f64
    };
    fd_check(
        "mse_weighted fd",
        &gpu.read(&dg),
        &f64s(&p.host),
        1e-4,
        loss,
        1e-6,
        1e-5,
    );
}
