use wgpu_ddpm::kernels::time_embedding::*;

use crate::common::tol;
use crate::common::*;

/// Worst absolute error allowed against the f64 reference: WGSL's 2^-11 for sin and cos on
/// [-pi, pi], plus the shader's reduction of the angle A = t f (up to 1000 rad at i = 0) to
/// that range. The reduction is six f32 roundings of values at most pi + |t * f_hl| (f_hl,
/// the part of f below its 8-bit head, is under f / 128) — the products with the head and
/// with the 8-bit 2 pi are exact. A naive f32 `sin(f32(t) * f)` leaves WGSL's range, where
/// its accuracy is unspecified (lavapipe: ~1e-4).
fn atol() -> f32 {
    let a_max = 1000.0;
    let reduced = 2.0 * (std::f64::consts::PI + a_max / 128.0);
    (tol::SIN_COS_ABS + tol::bound(0.0, 6, reduced)) as f32
}

/// The plain product t * f (the t/T encoding): three parts, each product and sum rounded.
fn rtol() -> f32 {
    tol::gamma(5) as f32
}

#[test]
fn time_embedding_matches_f64_reference() {
    let gpu = gpu();
    let mut rng = HostRng::new(41);
    for (n, d) in [(1usize, 1usize), (3, 7), (5, 100), (64, 100), (4, 128)] {
        let mut t: Vec<u32> = (0..n).map(|_| 1 + rng.below(1000) as u32).collect();
        t[0] = 1000; // the largest angle of the default schedule
        if n > 1 {
            t[1] = 1;
        }
        let tg = gpu.upload_u32(&t, &[n]);
        let out = upload(&gpu, &rng.vec_normal(n * d), &[n, d]); // garbage: overwritten
        run(&gpu, [time_embedding(&gpu, n, d, &tg, &out)]);
        assert_close(
            &format!("time_embedding {n}x{d}"),
            &gpu.read(&out),
            &time_embedding_cpu(&t, d),
            atol(),
            0.0,
        );
    }
}

#[test]
fn time_embedding_every_timestep() {
    // All t = 1..=1000 of the default schedule at the seed's D = 100.
    let gpu = gpu();
    let d = 100;
    let t: Vec<u32> = (1..=1000).collect();
    let tg = gpu.upload_u32(&t, &[t.len()]);
    let out = gpu.zeros(&[t.len(), d]);
    run(&gpu, [time_embedding(&gpu, t.len(), d, &tg, &out)]);
    assert_close(
        "time_embedding t=1..1000",
        &gpu.read(&out),
        &time_embedding_cpu(&t, d),
        atol(),
        0.0,
    );
}

#[test]
fn time_embedding_reference_values() {
    // Spot values by hand: i = 0 is sin(t), i = 1 is cos(t / 10000^(1/D)).
    let e = time_embedding_cpu(&[1, 2], 4);
    assert!((e[0] - 1f64.sin() as f32).abs() < 1e-7);
    assert!((e[1] - (1.0f64 / 10f64).cos() as f32).abs() < 1e-7); // 10000^(1/4) = 10
    assert!((e[2] - (1.0f64 / 100f64).sin() as f32).abs() < 1e-7);
    assert!((e[4] - 2f64.sin() as f32).abs() < 1e-7);
}

#[test]
fn frequency_table_splits_exactly() {
    for (i, f) in frequency_table(TimeEncoding::Interleaved, 100)
        .chunks(4)
        .enumerate()
    {
        let want = (-(i as f64 / 100.0) * 10000f64.ln()).exp();
        assert_eq!(
            f[0].to_bits() & 0xFFFF,
            0,
            "head has at most 8 significant bits"
        );
        let got = f[0] as f64 + f[1] as f64 + f[2] as f64;
        assert!(
            (got - want).abs() <= want * 1e-14,
            "freq {i}: {got} vs {want}"
        );
    }
}

#[test]
fn time_encoding_variants_match_f64_reference() {
    // Seed 001 (denominator D/2 - 1), seed 003 (D/2), t/T (seeds 002, 004); odd n.
    let gpu = gpu();
    let t: Vec<u32> = vec![1, 37, 299, 1000, 0, 512, 999];
    let tg = gpu.upload_u32(&t, &[t.len()]);
    for (enc, d) in [
        (TimeEncoding::Halves { denom: 7.0 }, 16),
        (TimeEncoding::Halves { denom: 64.0 }, 128),
        (TimeEncoding::Halves { denom: 3.0 }, 6),
        (TimeEncoding::Fraction { t_max: 300 }, 1),
        (TimeEncoding::Fraction { t_max: 150 }, 3),
    ] {
        let out = gpu.zeros(&[t.len(), d]);
        run(&gpu, [time_encoding(&gpu, enc, t.len(), d, &tg, &out)]);
        let want = time_encoding_cpu(enc, &t, d);
        let (atol, rtol) = match enc {
            TimeEncoding::Fraction { .. } => (0.0, rtol()),
            _ => (atol(), 0.0),
        };
        assert_close(
            &format!("{enc:?} d={d}"),
            &gpu.read(&out),
            &want,
            atol,
            rtol,
        );
    }
}

#[test]
fn time_encoding_reference_values() {
    // Seed 003's pos_encoding at D = 4: [sin(t), sin(t/100), cos(t), cos(t/100)].
    let e = time_encoding_cpu(TimeEncoding::Halves { denom: 2.0 }, &[3], 4);
    let want = [3f64.sin(), 0.03f64.sin(), 3f64.cos(), 0.03f64.cos()];
    for (g, w) in e.iter().zip(want) {
        assert!((*g as f64 - w).abs() < 1e-7, "{e:?} vs {want:?}");
    }
    assert_eq!(
        time_encoding_cpu(TimeEncoding::Fraction { t_max: 4 }, &[1, 2], 1),
        [0.25, 0.5]
    );
}
