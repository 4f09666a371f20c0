use wgpu_ddpm::kernels::guidance::*;
use wgpu_ddpm::kernels::label_embedding::*;

use crate::common::tol::{abs, accumulate_bounds, assert_within, Tracked};
use crate::common::*;
use crate::elementwise_support::*;

#[test]
fn label_embedding_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(31);
    for (n, d, classes) in [(3usize, 5usize, 2usize), (7, 100, 10), (1, 1, 1)] {
        let rows = classes + 1;
        let temb = rng.vec_normal(n * d);
        let table = rng.vec_normal(rows * d);
        // Includes the null label (= classes) and an out-of-range label, which is clamped to null.
        let y: Vec<u32> = (0..n)
            .map(|i| {
                if i == 0 {
                    classes as u32 + 5
                } else {
                    rng.below(rows as u64) as u32
                }
            })
            .collect();
        let (tg, yg, tab, out) = (
            upload(&gpu, &temb, &[n, d]),
            gpu.upload_u32(&y, &[n]),
            upload(&gpu, &table, &[rows, d]),
            gpu.zeros(&[n, d]),
        );
        run(&gpu, [label_embedding(&gpu, n, d, &tg, &yg, &tab, &out)]);
        // A single f32 add on both sides: correctly rounded either way.
        let want = label_embedding_cpu(n, d, &temb, &y, &table);
        assert_rounded("label_embedding", &gpu.read(&out), &want);
    }
}

#[test]
fn label_embedding_hand_computed() {
    let gpu = gpu();
    let temb = upload(&gpu, &[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let table = upload(&gpu, &[10.0, 20.0, 30.0, 40.0, 50.0, 60.0], &[3, 2]);
    let y = gpu.upload_u32(&[2, 0], &[2]);
    let out = gpu.zeros(&[2, 2]);
    run(&gpu, [label_embedding(&gpu, 2, 2, &temb, &y, &table, &out)]);
    assert_exact("hand", &gpu.read(&out), &[51.0, 62.0, 13.0, 24.0]);
}

#[test]
fn label_embedding_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(32);
    let (n, d, rows) = (9usize, 7usize, 4usize);
    let y: Vec<u32> = (0..n).map(|_| rng.below(rows as u64) as u32).collect();
    let [dout, dt] = [(); 2].map(|_| Filled::normal(&mut rng, &[n, d]));
    let dw = Filled::normal(&mut rng, &[rows, d]);
    let yg = gpu.upload_u32(&y, &[n]);
    run(
        &gpu,
        [label_embedding_backward(
            &gpu, n, d, &yg, &dout.dev, &dt.dev, &dw.dev,
        )],
    );
    let (want_t, want_w) = label_embedding_backward_cpu(n, d, rows, &y, &dout.host);
    // dtemb adds dout (exact) once; dtable sums at most n terms per row onto the prefill,
    // and the reference sums them in f32 too: gamma(n + 1) + gamma(n) + U of the magnitude.
    dt.assert_accumulated("dtemb", &want_t, 0.0, ONE_ULP);
    let (_, mag) = label_embedding_backward_cpu(n, d, rows, &y, &abs(&dout.host));
    let want: Vec<f32> = dw.host.iter().zip(&want_w).map(|(a, b)| a + b).collect();
    let bounds = accumulate_bounds(2 * n + 1, &mag, &dw.host);
    assert_within("dtable", &read(&dw.dev), &want, &bounds);
}

#[test]
fn label_embedding_backward_finite_difference() {
    // L = sum(r * (temb + table[y])): check d/dtable and d/dtemb against central differences.
    let gpu = gpu();
    let mut rng = HostRng::new(33);
    let (n, d, rows) = (5usize, 3usize, 3usize);
    let y: Vec<u32> = vec![0, 2, 2, 1, 0];
    let temb = rng.vec_normal(n * d);
    let table = rng.vec_normal(rows * d);
    let r = rng.vec_normal(n * d);
    let (yg, dg, dt, dw) = (
        gpu.upload_u32(&y, &[n]),
        upload(&gpu, &r, &[n, d]),
        gpu.zeros(&[n, d]),
        gpu.zeros(&[rows, d]),
    );
    run(
        &gpu,
        [label_embedding_backward(&gpu, n, d, &yg, &dg, &dt, &dw)],
    );
    let emb = |tb: &[f64], tt: &[f64]| -> Vec<f64> {
        (0..n * d)
            .map(|i| tt[i] + tb[y[i / d] as usize * d + i % d])
            .collect()
    };
    fd_check_partials(
        "fd",
        [&f64s(&table), &f64s(&temb)],
        1e-3,
        |[tb, tt]| weighted_sum(&emb(tb, tt), &r),
        [
            ("dtable", &gpu.read(&dw), 1e-3, 1e-3),
            ("dtemb", &gpu.read(&dt), 1e-3, 1e-3),
        ],
    );
}

#[test]
fn guidance_matches_cpu_and_endpoints() {
    let gpu = gpu();
    let mut rng = HostRng::new(34);
    let len = 1001;
    let eps2 = rng.vec_normal(2 * len);
    let e2 = upload(&gpu, &eps2, &[2 * len]);
    for w in [0.0f32, 1.0, 3.0] {
        let out = gpu.zeros(&[len]);
        run(&gpu, [guidance(&gpu, w, &e2, &out)]);
        let got = gpu.read(&out);
        // u + w (c - u), tracked; guidance_cpu's f32 is within the same of the exact value.
        let t: Vec<Tracked> = (0..len)
            .map(|i| {
                let (c, u) = (Tracked::exact(eps2[i]), Tracked::exact(eps2[i + len]));
                u.add(Tracked::exact(w).mul(c.sub(u)))
            })
            .collect();
        let twice: Vec<f64> = t.iter().map(|t| 2.0 * t.e).collect();
        assert_within("guidance", &got, &guidance_cpu(w, &eps2), &twice);
        if w == 0.0 {
            assert_close("w=0 is unconditional", &got, &eps2[len..], 0.0, 0.0);
        }
        if w == 1.0 {
            // The exact result is c itself.
            let once: Vec<f64> = t.iter().map(|t| t.e).collect();
            assert_within("w=1 is conditional", &got, &eps2[..len], &once);
        }
    }
}
