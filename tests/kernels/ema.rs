use wgpu_ddpm::kernels::ema::*;

use crate::common::*;

#[test]
fn ema_matches_cpu_over_several_steps() {
    let gpu = gpu();
    let mut rng = HostRng::new(21);
    for n in [1usize, 255, 257, 10007] {
        let mut want = rng.vec_normal(n);
        let e = upload(&gpu, &want, &[n]);
        for step in 0..3 {
            let src = rng.vec_normal(n);
            let s = upload(&gpu, &src, &[n]);
            let d = upload(&gpu, &[0.9 + 0.03 * step as f32], &[1]);
            run(&gpu, [ema(&gpu, &d, &s, &e)]);
            ema_cpu(0.9 + 0.03 * step as f32, &src, &mut want);
        }
        // Same three f32 multiply-adds on both sides; fma contraction may differ by an ulp.
        assert_close("ema", &gpu.read(&e), &want, 1e-6, 1e-6);
    }
}

#[test]
fn ema_hand_computed() {
    let gpu = gpu();
    let e = upload(&gpu, &[1.0, -2.0], &[2]);
    let s = upload(&gpu, &[3.0, 2.0], &[2]);
    let d = upload(&gpu, &[0.75], &[1]);
    run(&gpu, [ema(&gpu, &d, &s, &e)]);
    // 0.75*1 + 0.25*3 = 1.5; 0.75*(-2) + 0.25*2 = -1.0
    assert_close("ema", &gpu.read(&e), &[1.5, -1.0], 1e-7, 0.0);
}
