use wgpu_ddpm::kernels::concat::*;

use crate::common::*;

/// `Gpu::read` of an empty tensor trips bytemuck's alignment check (empty Vec<u8>), so skip it.
fn read(t: &wgpu_ddpm::gpu::GpuTensor) -> Vec<f32> {
    if t.is_empty() {
        Vec::new()
    } else {
        gpu().read(t)
    }
}

// (n, c1, c2, hw): odd shapes, an empty half, and the seed's up1 concat (128 + 64 at 28x28) at batch 1.
const SHAPES: &[(usize, usize, usize, usize)] = &[
    (1, 1, 1, 1),
    (3, 5, 7, 63),
    (2, 3, 0, 9),
    (3, 2, 5, 7 * 9),
    (1, 128, 64, 28 * 28),
];

#[test]
fn concat_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(21);
    for &(n, c1, c2, hw) in SHAPES {
        let (a, b) = (rng.vec_normal(n * c1 * hw), rng.vec_normal(n * c2 * hw));
        let y0 = rng.vec_normal(n * (c1 + c2) * hw);
        let (ag, bg, yg) = (
            upload(&gpu, &a, &[n, c1, hw]),
            upload(&gpu, &b, &[n, c2, hw]),
            upload(&gpu, &y0, &[n, c1 + c2, hw]),
        );
        run(&gpu, [concat(&gpu, &ag, &bg, &yg)]);
        // A pure copy: exact.
        assert_close(
            &format!("concat {n}x({c1}+{c2})x{hw}"),
            &gpu.read(&yg),
            &concat_cpu(n, c1, c2, hw, &a, &b),
            0.0,
            0.0,
        );
    }
}

#[test]
fn concat_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(22);
    for &(n, c1, c2, hw) in SHAPES {
        let dy = rng.vec_normal(n * (c1 + c2) * hw);
        let (da0, db0) = (rng.vec_normal(n * c1 * hw), rng.vec_normal(n * c2 * hw));
        let dyg = upload(&gpu, &dy, &[n, c1 + c2, hw]);
        let (dag, dbg) = (
            upload(&gpu, &da0, &[n, c1, hw]),
            upload(&gpu, &db0, &[n, c2, hw]),
        );
        run(&gpu, [concat_backward(&gpu, &dyg, &dag, &dbg)]);
        let (da, db) = concat_backward_cpu(n, c1, c2, hw, &dy);
        // One f32 addition per element, same as the reference: exact.
        assert_accumulates("concat da", &read(&dag), &da0, &da, 0.0, 0.0);
        assert_accumulates("concat db", &read(&dbg), &db0, &db, 0.0, 0.0);
    }
}

#[test]
fn concat_backward_finite_difference() {
    // L = sum(r * cat(a, b)); gradients of a and b vs central differences in f64.
    let gpu = gpu();
    let mut rng = HostRng::new(23);
    let (n, c1, c2, hw) = (2, 3, 2, 5);
    let (a, b, r) = (
        rng.vec_normal(n * c1 * hw),
        rng.vec_normal(n * c2 * hw),
        rng.vec_normal(n * (c1 + c2) * hw),
    );
    let loss = |a: &[f64], b: &[f64]| {
        let mut l = 0.0;
        for i in 0..n {
            for c in 0..c1 + c2 {
                for s in 0..hw {
                    let v = if c < c1 {
                        a[(i * c1 + c) * hw + s]
                    } else {
                        b[(i * c2 + c - c1) * hw + s]
                    };
                    l += r[(i * (c1 + c2) + c) * hw + s] as f64 * v;
                }
            }
        }
        l
    };
    let (ad, bd) = (f64s(&a), f64s(&b));
    let rg = upload(&gpu, &r, &[n, c1 + c2, hw]);
    let (dag, dbg) = (gpu.zeros(&[n, c1, hw]), gpu.zeros(&[n, c2, hw]));
    run(&gpu, [concat_backward(&gpu, &rg, &dag, &dbg)]);
    fd_check(
        "concat fd da",
        &gpu.read(&dag),
        &ad,
        1e-3,
        |v| loss(v, &bd),
        1e-6,
        1e-6,
    );
    fd_check(
        "concat fd db",
        &gpu.read(&dbg),
        &bd,
        1e-3,
        |v| loss(&ad, v),
        1e-6,
        1e-6,
    );
}
