use wgpu_ddpm::kernels::upsample::*;

use crate::common::tol::{abs, accumulate_bounds, assert_within, reduction_bounds};
use crate::common::*;
use crate::elementwise_support::*;

// (n, c, h, w): odd shapes, 1-pixel edges (every index clamps), and seed shapes at N=2.
const SHAPES: &[(usize, usize, usize, usize)] = &[
    (3, 5, 7, 9),
    (1, 1, 1, 1),
    (2, 3, 1, 4),
    (1, 2, 5, 2),
    (2, 256, 7, 7),
    (2, 128, 14, 14),
];

#[test]
fn upsample_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(30);
    // Half-pixel: two passes of 0.75 a + 0.25 b (weights exact), so each term goes through
    // two products and two adds: gamma(4) of the reference run on |x| (its weights are
    // non-negative), plus the reference's rounding.
    for &(n, c, h, w) in SHAPES {
        let x = Filled::normal(&mut rng, &[n, c, h, w]);
        let yg = gpu.zeros(&[n, c, 2 * h, 2 * w]);
        run(&gpu, [upsample_with(&gpu, &x.dev, &yg, false)]);
        let mag = upsample_with_cpu(n, c, h, w, &abs(&x.host), false);
        assert_within(
            &format!("upsample {n}x{c}x{h}x{w}"),
            &gpu.read(&yg),
            &upsample_with_cpu(n, c, h, w, &x.host, false),
            &reduction_bounds(4, &mag),
        );
    }
    // Aligned, the source coordinate is an f32 as in PyTorch, so lambda is off by ~1e-7 * o
    // (not derived from the WGSL rules yet: docs/tolerances.md).
    for &(n, c, h, w) in SHAPES {
        let x = Filled::normal(&mut rng, &[n, c, h, w]);
        let yg = gpu.zeros(&[n, c, 2 * h, 2 * w]);
        run(&gpu, [upsample_with(&gpu, &x.dev, &yg, true)]);
        assert_close(
            &format!("upsample {n}x{c}x{h}x{w} align_corners true"),
            &gpu.read(&yg),
            &upsample_with_cpu(n, c, h, w, &x.host, true),
            5e-6,
            1e-6,
        );
    }
}

#[test]
fn upsample_aligned_by_hand() {
    // [[1, 2], [3, 4]]: sources o/3, so row 0 is [1, 4/3, 5/3, 2] and the corners are kept.
    let want = [1.0, 4.0 / 3.0, 5.0 / 3.0, 2.0];
    let got = upsample_with_cpu(1, 1, 2, 2, &[1.0, 2.0, 3.0, 4.0], true);
    assert_close("aligned row 0 (cpu)", &got[..4], &want, 1e-6, 0.0);
    assert_eq!(got[15], 4.0);
}

#[test]
fn upsample_by_hand() {
    // [[1, 2], [3, 4]] -> 4x4. Output rows 0..3 read source rows at 0 (clamped), 0.25, 0.75,
    // 1.25 -> row 1 (i1 clamped); columns likewise, so row 0 is [1, 1.25, 1.75, 2].
    let want = [
        1.0, 1.25, 1.75, 2.0, //
        1.5, 1.75, 2.25, 2.5, //
        2.5, 2.75, 3.25, 3.5, //
        3.0, 3.25, 3.75, 4.0,
    ];
    let gpu = gpu();
    let x = [1.0, 2.0, 3.0, 4.0];
    let yg = gpu.zeros(&[1, 1, 4, 4]);
    run(
        &gpu,
        [upsample(&gpu, &upload(&gpu, &x, &[1, 1, 2, 2]), &yg)],
    );
    assert_exact("upsample by hand (gpu)", &gpu.read(&yg), &want);
    assert_exact(
        "upsample by hand (cpu)",
        &upsample_cpu(1, 1, 2, 2, &x),
        &want,
    );
    // Backward: dy = 1 at output (0, 1) only reads column 0 with 0.75 and column 1 with 0.25
    // of row 0; dy = all ones gives each input 4 (16 outputs, weights sum to 1, by symmetry).
    let mut dy = [0.0f32; 16];
    dy[1] = 1.0;
    for (dy, want) in [(dy, [0.75, 0.25, 0.0, 0.0]), ([1.0; 16], [4.0; 4])] {
        let dxg = gpu.zeros(&[1, 1, 2, 2]);
        run(
            &gpu,
            [upsample_backward(
                &gpu,
                &upload(&gpu, &dy, &[1, 1, 4, 4]),
                &dxg,
            )],
        );
        assert_exact("upsample_backward by hand (gpu)", &gpu.read(&dxg), &want);
        let cpu_dx = upsample_backward_cpu(1, 1, 2, 2, &dy);
        assert_exact("upsample_backward by hand (cpu)", &cpu_dx, &want);
    }
}

#[test]
fn upsample_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(31);
    for (align, &(n, c, h, w)) in [false, true]
        .into_iter()
        .flat_map(|a| SHAPES.iter().map(move |s| (a, s)))
    {
        let dy = Filled::normal(&mut rng, &[n, c, 2 * h, 2 * w]);
        let dx = Filled::normal(&mut rng, &[n, c, h, w]);
        run(
            &gpu,
            [upsample_backward_with(&gpu, &dy.dev, &dx.dev, align)],
        );
        let fresh = upsample_backward_with_cpu(n, c, h, w, &dy.host, align);
        let what = format!("upsample_backward {n}x{c}x{h}x{w} align_corners {align}");
        if align {
            // Sums of at most 49 weighted O(1) terms with f32 hat weights: not derived from
            // the WGSL rules yet (docs/tolerances.md).
            dx.assert_accumulated(&what, &fresh, 1e-5, 1e-5);
        } else {
            // 16 terms, exact weights: each through two products, three adds in the dot,
            // four into acc and the one into dx (10 roundings), the reference's two:
            // within gamma(12) + U of the reference on |dy| plus the prefill.
            let mag = upsample_backward_with_cpu(n, c, h, w, &abs(&dy.host), false);
            let want: Vec<f32> = dx.host.iter().zip(&fresh).map(|(a, b)| a + b).collect();
            let bounds = accumulate_bounds(11, &mag, &dx.host);
            assert_within(&what, &read(&dx.dev), &want, &bounds);
        }
    }
}

#[test]
fn upsample_backward_finite_difference() {
    // L = sum(r * upsample(x)) in f64 (linear in x, so the difference is exact).
    let gpu = gpu();
    let mut rng = HostRng::new(32);
    let cases = [(2usize, 3usize, 3usize, 5usize), (1, 1, 1, 2), (2, 3, 5, 4)];
    for (align, (n, c, h, w)) in [false, true]
        .into_iter()
        .flat_map(|a| cases.map(|s| (a, s)))
    {
        let len = n * c * h * w;
        let x: Vec<f64> = rng.vec_normal(len).iter().map(|v| *v as f64).collect();
        let r = Filled::normal(&mut rng, &[n, c, 2 * h, 2 * w]);
        let dxg = gpu.zeros(&[n, c, h, w]);
        run(&gpu, [upsample_backward_with(&gpu, &r.dev, &dxg, align)]);
        let loss = |xs: &[f64]| weighted_sum(&upsample_with_f64(n, c, h, w, xs, align), &r.host);
        let what = format!("upsample fd align_corners {align}");
        fd_check(&what, &gpu.read(&dxg), &x, 1e-3, loss, 1e-5, 1e-5);
    }
}
