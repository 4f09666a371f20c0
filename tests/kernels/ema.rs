use wgpu_ddpm::kernels::ema::*;

use crate::common::tol::{assert_within, Tracked};
use crate::common::*;

/// ema = d * ema + (1 - d) * src, as the shader computes it, tracked.
fn ema_tracked(d: f32, src: f32, e: Tracked) -> Tracked {
    let d = Tracked::exact(d);
    let one_minus = Tracked::exact(1.0).sub(d);
    d.mul(e).add(one_minus.mul(Tracked::exact(src)))
}

#[test]
fn ema_matches_cpu_over_several_steps() {
    let gpu = gpu();
    let mut rng = HostRng::new(21);
    for n in [1usize, 255, 257, 10007] {
        let mut want = rng.vec_normal(n);
        let e = upload(&gpu, &want, &[n]);
        let mut t: Vec<Tracked> = want.iter().map(|v| Tracked::exact(*v)).collect();
        for step in 0..3 {
            let src = rng.vec_normal(n);
            let s = upload(&gpu, &src, &[n]);
            let d = upload(&gpu, &[0.9 + 0.03 * step as f32], &[1]);
            run(&gpu, [ema(&gpu, &d, &s, &e)]);
            ema_cpu(0.9 + 0.03 * step as f32, &src, &mut want);
            for (t, s) in t.iter_mut().zip(&src) {
                *t = ema_tracked(0.9 + 0.03 * step as f32, *s, *t);
            }
        }
        // GPU and ema_cpu (correctly rounded) are each within the tracked bound of the
        // exact result: twice it apart at most.
        let bounds: Vec<f64> = t.iter().map(|t| 2.0 * t.e).collect();
        assert_within("ema", &gpu.read(&e), &want, &bounds);
    }
}

#[test]
fn ema_hand_computed() {
    let gpu = gpu();
    let e = upload(&gpu, &[1.0, -2.0], &[2]);
    let s = upload(&gpu, &[3.0, 2.0], &[2]);
    let d = upload(&gpu, &[0.75], &[1]);
    run(&gpu, [ema(&gpu, &d, &s, &e)]);
    // 0.75*1 + 0.25*3 = 1.5; 0.75*(-2) + 0.25*2 = -1.0 (every step exact here, but the
    // bound is what WGSL promises, not what these values happen to allow).
    let bounds = [(1.0, 3.0), (-2.0, 2.0)].map(|(e, s)| ema_tracked(0.75, s, Tracked::exact(e)).e);
    assert_within("ema", &gpu.read(&e), &[1.5, -1.0], &bounds);
}
