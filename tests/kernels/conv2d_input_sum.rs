//! `conv2d_backward_input_sum`: the conv input gradient's per-image pixel sum, against its CPU
//! reference, against the pixel sums of the full input gradient, and by finite differences of
//! the op it serves, conv(x + v) with v broadcast over the pixels. Shaders: conv2d_input_sum
//! and conv2d_input_sum_dot.

use wgpu_ddpm::kernels::conv2d::*;

use crate::common::tol::{self, abs, accumulate_bounds};
use crate::common::*;
use crate::conv2d::{data, loss, shape};

/// Odd shapes: 1x1 and 3x3 images (every tap but the centre falls off), rows of one pixel,
/// images of more pixels than a workgroup has lanes, cout past the 64 lanes.
fn shapes() -> [Conv2dShape; 6] {
    [
        shape(3, 1, 5, 5, 7, 3),
        shape(2, 3, 4, 1, 1, 3),
        shape(2, 2, 3, 1, 9, 3),
        shape(2, 1, 3, 11, 13, 3),
        shape(2, 4, 3, 2, 6, 1),
        shape(1, 2, 70, 3, 3, 3),
    ]
}

#[test]
fn conv2d_input_sum_against_reference() {
    let gpu = gpu();
    for (i, s) in shapes().into_iter().enumerate() {
        let mut rng = HostRng::new(70 + i as u64);
        let (_, w, _) = data(&mut rng, &s);
        let dy = rng.vec_normal(s.n * s.cout * s.h * s.w);
        let dv0 = rng.vec_normal(s.n * s.cin);
        let (wg, dyg) = (upload(&gpu, &w, &[w.len()]), upload(&gpu, &dy, &[dy.len()]));
        let dvg = upload(&gpu, &dv0, &[dv0.len()]);
        run(&gpu, conv2d_backward_input_sum(&gpu, &s, &wg, &dyg, &dvg));
        let want = conv2d_backward_input_sum_cpu(&s, &w, &dy);
        let want: Vec<f32> = want.iter().zip(&dv0).map(|(a, b)| a + b).collect();
        // Each result sums cout * k * k * h * w products, in whatever order the passes take.
        let mag = conv2d_backward_input_sum_cpu(&s, &abs(&w), &abs(&dy));
        let n = s.cout * s.k * s.k * s.h * s.w;
        tol::assert_within(
            &format!("conv2d_input_sum {s:?}"),
            &gpu.read(&dvg),
            &want,
            &accumulate_bounds(n, &mag, &dv0),
        );
    }
}

/// The reference is what it claims: the pixel sums of the full input gradient.
#[test]
fn conv2d_input_sum_reference_is_the_pixel_sum_of_dx() {
    for (i, s) in shapes().into_iter().enumerate() {
        let mut rng = HostRng::new(80 + i as u64);
        let (x, w, _) = data(&mut rng, &s);
        let dy = rng.vec_normal(s.n * s.cout * s.h * s.w);
        let (dx, _, _) = conv2d_backward_cpu(&s, &x, &w, &dy);
        let sums: Vec<f32> = dx
            .chunks(s.h * s.w)
            .map(|r| r.iter().map(|v| *v as f64).sum::<f64>() as f32)
            .collect();
        let (dxm, _, _) = conv2d_backward_cpu(&s, &abs(&x), &abs(&w), &abs(&dy));
        let mag: Vec<f32> = dxm.chunks(s.h * s.w).map(|r| r.iter().sum()).collect();
        // dx rounds once to f32 per pixel before the sum.
        let bounds: Vec<f64> = mag.iter().map(|m| 4.0 * tol::U * *m as f64).collect();
        tol::assert_within(
            &format!("input sum reference {s:?}"),
            &conv2d_backward_input_sum_cpu(&s, &w, &dy),
            &sums,
            &bounds,
        );
    }
}

/// d/dv of L = sum(r * conv(x + v, w, b)), v [n, cin] broadcast over the pixels, is the
/// input sum of r.
#[test]
fn conv2d_input_sum_finite_difference() {
    let gpu = gpu();
    for (i, s) in [shape(2, 2, 3, 4, 5, 3), shape(2, 3, 2, 3, 2, 1)]
        .into_iter()
        .enumerate()
    {
        let mut rng = HostRng::new(90 + i as u64);
        let (x, w, b) = data(&mut rng, &s);
        let v = rng.vec_normal(s.n * s.cin);
        let r = rng.vec_normal(s.n * s.cout * s.h * s.w);
        let f64v = |v: &[f32]| v.iter().map(|a| *a as f64).collect::<Vec<f64>>();
        let (xd, wd, bd) = (f64v(&x), f64v(&w), f64v(&b));
        let hw = s.h * s.w;
        let fdv = finite_diff(&f64v(&v), 1e-3, |vs| {
            let xs: Vec<f64> = xd.iter().enumerate().map(|(j, a)| a + vs[j / hw]).collect();
            loss(&s, &xs, &wd, &bd, &r)
        });
        let (wg, rg) = (upload(&gpu, &w, &[w.len()]), upload(&gpu, &r, &[r.len()]));
        let dvg = gpu.zeros(&[v.len()]);
        run(&gpu, conv2d_backward_input_sum(&gpu, &s, &wg, &rg, &dvg));
        // L is linear in v: central differences are exact up to f64 rounding; the tolerance
        // covers the GPU's f32 sums.
        let fdv: Vec<f32> = fdv.into_iter().map(|a| a as f32).collect();
        assert_close(
            &format!("conv2d_input_sum fd {s:?}"),
            &gpu.read(&dvg),
            &fdv,
            1e-4,
            1e-4,
        );
    }
}
