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
