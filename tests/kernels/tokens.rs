use wgpu_ddpm::kernels::tokens::*;

use crate::common::*;
use crate::elementwise_support::*;

// (n, c, hw): odd sizes, one element, and a seed shape (64 channels at 8x8).
const SHAPES: &[(usize, usize, usize)] = &[(3, 5, 7), (3, 12, 13), (1, 1, 1), (2, 64, 64)];

#[test]
fn tokens_and_untokens_match_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(41);
    for &(n, c, hw) in SHAPES {
        let x = rng.vec_normal(n * c * hw);
        let xg = upload(&gpu, &x, &[n, c, hw]);
        // Garbage in the outputs proves they are overwritten.
        let yg = upload(&gpu, &rng.vec_normal(x.len()), &[n, hw, c]);
        let zg = upload(&gpu, &rng.vec_normal(x.len()), &[n, c, hw]);
        run(
            &gpu,
            [
                tokens(&gpu, n, c, hw, &xg, &yg),
                untokens(&gpu, n, c, hw, &yg, &zg),
            ],
        );
        let (y, z) = (gpu.read(&yg), gpu.read(&zg));
        // A transpose moves values: exact.
        let what = format!("{n}x{c}x{hw}");
        assert_exact(&format!("tokens {what}"), &y, &tokens_cpu(n, c, hw, &x));
        assert_exact(&format!("untokens {what}"), &z, &untokens_cpu(n, c, hw, &y));
        assert_exact(&format!("round trip {what}"), &z, &x);
    }
}

#[test]
fn tokens_by_hand() {
    // One image, 2 channels of 3 pixels: channel-major in, pixel-major out.
    let gpu = gpu();
    let x = [0.0, 1.0, 2.0, 10.0, 11.0, 12.0];
    let (xg, yg) = (upload(&gpu, &x, &[1, 2, 3]), gpu.zeros(&[1, 3, 2]));
    run(&gpu, [tokens(&gpu, 1, 2, 3, &xg, &yg)]);
    let want = [0.0, 10.0, 1.0, 11.0, 2.0, 12.0];
    assert_exact("tokens by hand", &gpu.read(&yg), &want);
    assert_exact("tokens_cpu by hand", &tokens_cpu(1, 2, 3, &x), &want);
}

#[test]
fn tokens_backward_and_untokens_backward_accumulate() {
    let gpu = gpu();
    let mut rng = HostRng::new(42);
    for &(n, c, hw) in SHAPES {
        let len = n * c * hw;
        let (dy, dx0) = (rng.vec_normal(len), rng.vec_normal(len));
        let what = format!("{n}x{c}x{hw}");
        // tokens_backward reads dy as [n, hw, c] and adds into dx as [n, c, hw], untokens_backward
        // the other way round; `both` uploads the same values in either layout.
        let both = |v: &[f32]| [[n, hw, c], [n, c, hw]].map(|s| Filled::new(v.to_vec(), &s));
        let ([dy_t, dy_u], [dx_u, dx_t]) = (both(&dy), both(&dx0));
        run(
            &gpu,
            [
                tokens_backward(&gpu, n, c, hw, &dy_t.dev, &dx_t.dev),
                untokens_backward(&gpu, n, c, hw, &dy_u.dev, &dx_u.dev),
            ],
        );
        let fresh = untokens_cpu(n, c, hw, &dy);
        // A transpose: one exact value added per element, as in the reference.
        dx_t.assert_accumulated(&format!("tokens_backward {what}"), &fresh, 0.0, ONE_ULP);
        let fresh = tokens_cpu(n, c, hw, &dy);
        dx_u.assert_accumulated(&format!("untokens_backward {what}"), &fresh, 0.0, ONE_ULP);
    }
}

#[test]
fn tokens_backward_finite_difference() {
    // L = sum(r * tokens(x)) and sum(r' * untokens(x)); both linear, so central differences
    // are exact up to f64 rounding.
    let gpu = gpu();
    let mut rng = HostRng::new(43);
    let (n, c, hw) = (3, 5, 7);
    let len = n * c * hw;
    let (x, r) = (f64s(&rng.vec_normal(len)), rng.vec_normal(len));
    let loss = |y: Vec<f32>| weighted_sum(&f64s(&y), &r);
    let as_f32 = |v: &[f64]| v.iter().map(|a| *a as f32).collect::<Vec<_>>();
    for backward_of_tokens in [true, false] {
        let rg = upload(&gpu, &r, &[len]);
        let dxg = gpu.zeros(&[len]);
        let (d, what) = if backward_of_tokens {
            (tokens_backward(&gpu, n, c, hw, &rg, &dxg), "tokens fd")
        } else {
            (untokens_backward(&gpu, n, c, hw, &rg, &dxg), "untokens fd")
        };
        run(&gpu, [d]);
        // The inputs are f32-exact (they came from f32), and so are the forward's outputs.
        fd_check(
            what,
            &gpu.read(&dxg),
            &x,
            0.5,
            |v| {
                let v = as_f32(v);
                loss(if backward_of_tokens {
                    tokens_cpu(n, c, hw, &v)
                } else {
                    untokens_cpu(n, c, hw, &v)
                })
            },
            1e-4,
            1e-4,
        );
    }
}
