use wgpu_ddpm::kernels::rng::*;

use crate::common::tol::{assert_within, normal_bounds};
use crate::common::*;

#[test]
fn philox_known_answer() {
    // Random123 known-answer vectors (kat_vectors, philox4x32_10).
    assert_eq!(
        philox4x32_10([0; 4], [0; 2]),
        [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
    );
    assert_eq!(
        philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
        [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
    );
    assert_eq!(
        philox4x32_10(
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0]
        ),
        [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
    );
}

#[test]
fn rng_gpu_matches_cpu() {
    // Integers bitwise; normals within what WGSL allows the shader's f32 log, sqrt, cos and
    // sin on the same f32 uniforms (tol::normal_bound, docs/tolerances.md).
    let gpu = gpu();
    for (count, seed, stream, purpose) in [
        (1usize, 0u64, 0u64, 0u32),
        (257, 42, 7, PURPOSE_EPS),
        (3000, u64::MAX, 1 << 40, PURPOSE_Z),
    ] {
        let raw = gpu.zeros(&[4 * count]);
        let normals = gpu.zeros(&[2 * count]);
        run(
            &gpu,
            [rng_fill(&gpu, count, seed, stream, purpose, &raw, &normals)],
        );
        let want_raw: Vec<u32> = (0..count as u32)
            .flat_map(|j| philox_at(seed, stream, purpose, j))
            .collect();
        assert_eq!(
            gpu.read_u32(&raw),
            want_raw,
            "raw Philox words differ (count {count})"
        );
        let want = normals_cpu(seed, stream, purpose, 2 * count);
        let bounds = normal_bounds(seed, stream, purpose, 2 * count);
        assert_within("rng normals", &gpu.read(&normals), &want, &bounds);
        for e in [0, 1, 2 * count - 1] {
            assert_eq!(want[e], normal_cpu(seed, stream, purpose, e as u32));
        }
    }
}

#[test]
fn rng_normal_fill_matches_cpu() {
    let gpu = gpu();
    let seed = 0x1234_5678_9abc_def0u64;
    for len in [1usize, 2, 7, 1001] {
        let state = gpu.upload_u32(&[5, seed as u32, (seed >> 32) as u32, 0], &[4]);
        let x = gpu.zeros(&[len]);
        run(&gpu, [rng_normal_fill(&gpu, &state, &x)]);
        assert_within(
            "rng_normal_fill",
            &gpu.read(&x),
            &normals_cpu(seed, 0, PURPOSE_XT, len),
            &normal_bounds(seed, 0, PURPOSE_XT, len),
        );
    }
}

/// Kolmogorov-Smirnov statistic of sorted samples against a CDF.
fn ks(mut v: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len() as f64;
    v.iter()
        .enumerate()
        .map(|(i, x)| {
            let f = cdf(*x);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

/// Standard normal CDF via erfc (Numerical Recipes erfc, |rel error| < 1.2e-7).
fn phi(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807
                                + t * (-1.13520398
                                    + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
    if x >= 0.0 {
        1.0 - 0.5 * r
    } else {
        0.5 * r
    }
}

#[test]
fn rng_cpu_statistics() {
    // 1e6 draws: mean within 5 sigma of its standard error, variance likewise, and the KS
    // statistic below the 0.1% critical value 1.95/sqrt(n).
    let n = 1_000_000usize;
    let z: Vec<f64> = normals_cpu(7, 3, PURPOSE_TEST, n)
        .iter()
        .map(|v| *v as f64)
        .collect();
    let mean = z.iter().sum::<f64>() / n as f64;
    let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
    assert!(mean.abs() < 5.0 / (n as f64).sqrt(), "normal mean {mean}");
    assert!(
        (var - 1.0).abs() < 5.0 * (2.0 / n as f64).sqrt(),
        "normal variance {var}"
    );
    let crit = 1.95 / (n as f64).sqrt();
    let d = ks(z, phi);
    assert!(d < crit, "normal KS {d} >= {crit}");

    let u: Vec<f64> = (0..n as u32)
        .map(|i| uniform_cpu(11, 0, PURPOSE_TEST, i) as f64)
        .collect();
    let mean = u.iter().sum::<f64>() / n as f64;
    let var = u.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
    assert!(
        (mean - 0.5).abs() < 5.0 * (1.0 / 12.0 / n as f64).sqrt(),
        "uniform mean {mean}"
    );
    assert!(
        (var - 1.0 / 12.0).abs() < 5.0 * (1.0 / 180.0 / n as f64).sqrt(),
        "uniform variance {var}"
    );
    assert!(u.iter().all(|v| *v > 0.0 && *v < 1.0));
    let d = ks(u, |x| x.clamp(0.0, 1.0));
    assert!(d < crit, "uniform KS {d} >= {crit}");

    // Timesteps: every value of 1..=T appears, counts within 6 sigma of uniform.
    let t_max = 10u32;
    let mut counts = vec![0usize; t_max as usize + 1];
    for i in 0..100_000u32 {
        counts[timestep_cpu(5, 9, PURPOSE_T, i, t_max) as usize] += 1;
    }
    assert_eq!(counts[0], 0);
    for c in &counts[1..] {
        assert!(
            (*c as f64 - 10_000.0).abs() < 6.0 * 94.9,
            "timestep counts {counts:?}"
        );
    }
}
