use wgpu_ddpm::kernels::grad_clip::*;

use crate::common::*;

#[test]
fn grad_clip_matches_cpu_above_and_below_the_limit() {
    let gpu = gpu();
    let mut rng = HostRng::new(41);
    for (n, max_norm) in [(10007usize, 5.0f32), (257, 1e3), (1, 0.5)] {
        let g = rng.vec_normal(n);
        let (gg, norm) = (upload(&gpu, &g, &[n]), gpu.zeros(&[1]));
        run(&gpu, grad_clip(&gpu, max_norm, &gg, &norm));
        let (want, want_norm) = grad_clip_cpu(max_norm, &g);
        // The norm is a sum of n squares in f32 partials: relative 1e-5.
        assert_close("norm", &gpu.read(&norm), &[want_norm], 0.0, 1e-5);
        assert_close("clipped", &gpu.read(&gg), &want, 1e-6, 1e-5);
    }
}

#[test]
fn grad_clip_hand_computed() {
    let gpu = gpu();
    let (g, norm) = (upload(&gpu, &[3.0, 4.0], &[2]), gpu.zeros(&[1]));
    run(&gpu, grad_clip(&gpu, 1.0, &g, &norm));
    // ||(3, 4)|| = 5, scaled to norm 1: (0.6, 0.8).
    assert_close("norm", &gpu.read(&norm), &[5.0], 1e-6, 0.0);
    assert_close("clipped", &gpu.read(&g), &[0.6, 0.8], 1e-6, 0.0);
}
