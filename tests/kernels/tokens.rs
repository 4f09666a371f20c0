use wgpu_ddpm::kernels::tokens::*;

use crate::common::*;

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
        let y = gpu.read(&yg);
        // A transpose moves values: exact.
        assert_close(
            &format!("tokens {n}x{c}x{hw}"),
            &y,
            &tokens_cpu(n, c, hw, &x),
            0.0,
            0.0,
        );
        assert_close(
            &format!("untokens {n}x{c}x{hw}"),
            &gpu.read(&zg),
            &untokens_cpu(n, c, hw, &y),
            0.0,
            0.0,
        );
        assert_close(
            &format!("round trip {n}x{c}x{hw}"),
            &gpu.read(&zg),
            &x,
            0.0,
            0.0,
        );
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
    assert_close("tokens by hand", &gpu.read(&yg), &want, 0.0, 0.0);
    assert_close(
        "tokens_cpu by hand",
        &tokens_cpu(1, 2, 3, &x),
        &want,
        0.0,
        0.0,
    );
}

#[test]
fn tokens_backward_and_untokens_backward_accumulate() {
    let gpu = gpu();
    let mut rng = HostRng::new(42);
    for &(n, c, hw) in SHAPES {
        let len = n * c * hw;
        let (dy, dx0) = (rng.vec_normal(len), rng.vec_normal(len));
        let what = format!("{n}x{c}x{hw}");
        // tokens: dy is [n, hw, c], dx [n, c, hw].
        let (dyg, dxg) = (
            upload(&gpu, &dy, &[n, hw, c]),
            upload(&gpu, &dx0, &[n, c, hw]),
        );
        run(&gpu, [tokens_backward(&gpu, n, c, hw, &dyg, &dxg)]);
        let fresh = untokens_cpu(n, c, hw, &dy);
        assert_accumulates(
            &format!("tokens_backward {what}"),
            &gpu.read(&dxg),
            &dx0,
            &fresh,
            1e-6,
            1e-6,
        );
        // untokens: dy is [n, c, hw], dx [n, hw, c].
        let (dyg, dxg) = (
            upload(&gpu, &dy, &[n, c, hw]),
            upload(&gpu, &dx0, &[n, hw, c]),
        );
        run(&gpu, [untokens_backward(&gpu, n, c, hw, &dyg, &dxg)]);
        let fresh = tokens_cpu(n, c, hw, &dy);
        assert_accumulates(
            &format!("untokens_backward {what}"),
            &gpu.read(&dxg),
            &dx0,
            &fresh,
            1e-6,
            1e-6,
        );
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
    let loss = |y: Vec<f32>| {
        y.iter()
            .zip(&r)
            .map(|(a, b)| *a as f64 * *b as f64)
            .sum::<f64>()
    };
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
