use wgpu_ddpm::kernels::grad_clip::*;

use crate::common::tol::{assert_within, gamma, Tracked, U};
use crate::common::*;
use crate::mse::sum_depth;

/// (norm, scaled g) as the kernels compute them, tracked: mse's sum of squares (each square
/// one rounding, then `sum_depth` adds: gamma(depth + 1) of the sum), times f32(1/n), times
/// n, sqrt; then min(1, max_norm / (norm + f32(1e-6))) (min moves nothing by more than its
/// argument's error) times each g.
fn clip_tracked(max_norm: f32, g: &[f32]) -> (Tracked, Vec<Tracked>) {
    let n = g.len();
    let sum: f64 = g.iter().map(|v| (*v as f64).powi(2)).sum();
    let sum = Tracked {
        v: sum,
        e: gamma(sum_depth(n) + 1) * sum,
    };
    let mean_sq = sum.mul(Tracked::held((1.0 / n as f64) as f32, 1.0 / n as f64));
    let norm = Tracked::exact(n as f32).mul(mean_sq).sqrt();
    let ratio = Tracked::exact(max_norm).div(norm.add(Tracked::held(1e-6, 1e-6)));
    let scale = Tracked {
        v: ratio.v.min(1.0),
        e: ratio.e,
    };
    let scaled = g.iter().map(|v| Tracked::exact(*v).mul(scale)).collect();
    (norm, scaled)
}

fn bounds(t: &[Tracked]) -> Vec<f64> {
    t.iter().map(|t| t.e + U * t.v.abs()).collect()
}

#[test]
fn grad_clip_matches_cpu_above_and_below_the_limit() {
    let gpu = gpu();
    let mut rng = HostRng::new(41);
    for (n, max_norm) in [(10007usize, 5.0f32), (257, 1e3), (1, 0.5)] {
        let g = rng.vec_normal(n);
        let (gg, norm) = (upload(&gpu, &g, &[n]), gpu.zeros(&[1]));
        run(&gpu, grad_clip(&gpu, max_norm, &gg, &norm));
        let (want, want_norm) = grad_clip_cpu(max_norm, &g);
        // Against the f64 reference rounded once.
        let (tn, tg) = clip_tracked(max_norm, &g);
        assert_within("norm", &gpu.read(&norm), &[want_norm], &bounds(&[tn]));
        assert_within("clipped", &gpu.read(&gg), &want, &bounds(&tg));
    }
}

#[test]
fn grad_clip_hand_computed() {
    let gpu = gpu();
    let (g, norm) = (upload(&gpu, &[3.0, 4.0], &[2]), gpu.zeros(&[1]));
    run(&gpu, grad_clip(&gpu, 1.0, &g, &norm));
    // ||(3, 4)|| = 5, scaled to norm 1: (0.6, 0.8).
    // The kernel divides by norm + 1e-6: (3, 4) / 5.000001, 1.2e-7 and 1.6e-7 below.
    let (tn, tg) = clip_tracked(1.0, &[3.0, 4.0]);
    let want = [3.0, 4.0].map(|v| (v / (5.0 + 1e-6f64)) as f32);
    assert_within("norm", &gpu.read(&norm), &[5.0], &bounds(&[tn]));
    assert_within("clipped", &gpu.read(&g), &want, &bounds(&tg));
}
