//! The quality number's CPU parts: the Frechet distance and class coverage.

use wgpu_ddpm::quality::coverage;
use wgpu_ddpm::quality::frechet::{frechet_distance, mean_cov, sqrt_psd, sym_eig};
use wgpu_ddpm::util::host_rng::HostRng;

#[test]
fn frechet_of_known_gaussians() {
    // 2-D, diagonal: |mu1 - mu2|^2 + sum (s1 + s2 - 2 sqrt(s1 s2)) = 1 + (1 + 4 - 4) + (9 + 1 - 6).
    let (mu1, mu2) = ([0.0, 0.0], [1.0, 0.0]);
    let (s1, s2) = ([1.0, 0.0, 0.0, 9.0], [4.0, 0.0, 0.0, 1.0]);
    let d = frechet_distance(&mu1, &s1, &mu2, &s2, 2);
    assert!((d - 6.0).abs() < 1e-9, "{d}");
    assert!(frechet_distance(&mu1, &s1, &mu1, &s1, 2).abs() < 1e-9);
}

#[test]
fn frechet_matches_commuting_closed_form_on_rotated_covariances() {
    // Rotating both covariances by one rotation keeps the distance: compare a rotated pair
    // against the diagonal one.
    let (c, s) = (0.6f64, 0.8f64);
    let rot = |a: f64, b: f64| {
        // R diag(a, b) R^T with R = [[c, -s], [s, c]].
        [
            c * c * a + s * s * b,
            c * s * (a - b),
            c * s * (a - b),
            s * s * a + c * c * b,
        ]
    };
    let d = frechet_distance(&[0.0, 0.0], &rot(1.0, 9.0), &[0.0, 0.0], &rot(4.0, 1.0), 2);
    assert!((d - 5.0).abs() < 1e-9, "{d}");
}

#[test]
fn eigen_and_sqrt_reconstruct_a_random_psd_matrix() {
    let n = 7;
    let mut rng = HostRng::new(5);
    let b: Vec<f64> = (0..n * n).map(|_| rng.normal() as f64).collect();
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] = (0..n).map(|k| b[i * n + k] * b[j * n + k]).sum();
        }
    }
    let (vals, _) = sym_eig(&a, n);
    assert!(vals.iter().all(|v| *v > -1e-9), "{vals:?}");
    let r = sqrt_psd(&a, n);
    for i in 0..n {
        for j in 0..n {
            let rr: f64 = (0..n).map(|k| r[i * n + k] * r[k * n + j]).sum();
            assert!(
                (rr - a[i * n + j]).abs() < 1e-8,
                "({i},{j}) {rr} vs {}",
                a[i * n + j]
            );
        }
    }
}

#[test]
fn mean_and_covariance_of_rows() {
    let x = [1.0f32, 2.0, 3.0, 6.0];
    let (mu, cov) = mean_cov(&x, 2);
    assert_eq!(mu, vec![2.0, 4.0]);
    assert_eq!(cov, vec![2.0, 4.0, 4.0, 8.0]);
}

#[test]
fn coverage_counts_top_classes_and_confidence() {
    let ln = |p: f32| p.ln();
    // Three rows over 3 classes: two pick class 0, one class 2; class 1 is never on top.
    let logp = [
        ln(0.9),
        ln(0.05),
        ln(0.05),
        ln(0.6),
        ln(0.3),
        ln(0.1),
        ln(0.1),
        ln(0.2),
        ln(0.7),
    ];
    let (covered, conf) = coverage(&logp, 3);
    assert_eq!(covered, 2);
    assert!((conf - (0.9 + 0.6 + 0.7) / 3.0).abs() < 1e-6, "{conf}");
}
