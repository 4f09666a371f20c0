use std::sync::{Arc, OnceLock};

use wgpu_ddpm::gpu::{AdapterChoice, Gpu, Spread};
use wgpu_ddpm::kernels::conv2d::*;

use crate::common::tol::{abs, accumulate_bounds, assert_within, reduction_bounds};
use crate::common::*;

/// Both kernel paths: the adapter's own (subgroup shuffles on lavapipe) and the plain
/// fallback that adapters without subgroups get; every check runs on each (here, in the
/// general-geometry conv tests and in the attention tests).
pub fn paths() -> Vec<Arc<Gpu>> {
    static PLAIN: OnceLock<Arc<Gpu>> = OnceLock::new();
    let plain = PLAIN
        .get_or_init(|| {
            let choice = AdapterChoice {
                spread: Some(Spread::Plain),
                ..AdapterChoice::from_env()
            };
            Gpu::with_choice(&choice).expect("tests need a GPU adapter (lavapipe is enough)")
        })
        .clone();
    let best = gpu();
    if best.spread == Spread::Plain {
        eprintln!("note: this adapter has no subgroups; only the plain path is tested");
        return vec![best];
    }
    vec![best, plain]
}

pub fn shape(n: usize, cin: usize, cout: usize, h: usize, w: usize, k: usize) -> Conv2dShape {
    Conv2dShape {
        n,
        cin,
        cout,
        h,
        w,
        k,
    }
}

/// Random x (unit normal), w scaled by 1/sqrt(fan_in) so outputs stay O(1), b small.
pub fn data(rng: &mut HostRng, s: &Conv2dShape) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let fan_in = (s.cin * s.k * s.k) as f32;
    let x = rng.vec_normal(s.n * s.cin * s.h * s.w);
    let w: Vec<f32> = rng
        .vec_normal(s.cout * s.cin * s.k * s.k)
        .iter()
        .map(|v| v / fan_in.sqrt())
        .collect();
    let b = rng.vec_normal(s.cout).iter().map(|v| 0.1 * v).collect();
    (x, w, b)
}

fn check_forward(s: Conv2dShape, seed: u64) {
    for gpu in paths() {
        check_forward_on(&gpu, s, seed);
    }
}

fn check_forward_on(gpu: &Gpu, s: Conv2dShape, seed: u64) {
    let mut rng = HostRng::new(seed);
    let (x, w, b) = data(&mut rng, &s);
    let (xg, wg, bg) = (
        upload(gpu, &x, &[s.n, s.cin, s.h, s.w]),
        upload(gpu, &w, &[w.len()]),
        upload(gpu, &b, &[s.cout]),
    );
    // Pre-fill y with garbage: the kernel must overwrite every element.
    let yg = upload(
        gpu,
        &rng.vec_normal(s.n * s.cout * s.h * s.w),
        &[s.n, s.cout, s.h, s.w],
    );
    run(gpu, conv2d(gpu, &s, &xg, &wg, &bg, &yg));
    // Each output reduces cin*k*k products and the bias, in whatever order the path takes.
    let mag = conv2d_cpu(&s, &abs(&x), &abs(&w), &abs(&b));
    assert_within(
        &format!("conv2d {s:?} ({:?})", gpu.spread),
        &gpu.read(&yg),
        &conv2d_cpu(&s, &x, &w, &b),
        &reduction_bounds(s.cin * s.k * s.k + 1, &mag),
    );
}

fn check_backward(s: Conv2dShape, seed: u64) {
    for gpu in paths() {
        check_backward_on(&gpu, s, seed);
    }
}

fn check_backward_on(gpu: &Gpu, s: Conv2dShape, seed: u64) {
    let mut rng = HostRng::new(seed);
    let (x, w, _) = data(&mut rng, &s);
    let dy = rng.vec_normal(s.n * s.cout * s.h * s.w);
    let (dx0, dw0, db0) = (
        rng.vec_normal(x.len()),
        rng.vec_normal(w.len()),
        rng.vec_normal(s.cout),
    );
    let xg = upload(gpu, &x, &[x.len()]);
    let wg = upload(gpu, &w, &[w.len()]);
    let dyg = upload(gpu, &dy, &[dy.len()]);
    let (dxg, dwg, dbg) = (
        upload(gpu, &dx0, &[x.len()]),
        upload(gpu, &dw0, &[w.len()]),
        upload(gpu, &db0, &[s.cout]),
    );
    let mut ds = conv2d_backward_input(gpu, &s, &wg, &dyg, &dxg);
    ds.extend(conv2d_backward_weight(gpu, &s, &xg, &dyg, &dwg, &dbg));
    run(gpu, ds);
    let (dx, dw, db) = conv2d_backward_cpu(&s, &x, &w, &dy);
    let add = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(a, b)| a + b).collect::<Vec<f32>>();
    // dx reduces cout*k*k products, dw and db N*H*W each, all added onto the prefill.
    let (mx, mw, mb) = conv2d_backward_cpu(&s, &abs(&x), &abs(&w), &abs(&dy));
    let nhw = s.n * s.h * s.w;
    let tag = |t: &str| format!("conv2d {t} {s:?} ({:?})", gpu.spread);
    assert_within(
        &tag("dx"),
        &gpu.read(&dxg),
        &add(&dx0, &dx),
        &accumulate_bounds(s.cout * s.k * s.k, &mx, &dx0),
    );
    assert_within(
        &tag("dw"),
        &gpu.read(&dwg),
        &add(&dw0, &dw),
        &accumulate_bounds(nhw, &mw, &dw0),
    );
    assert_within(
        &tag("db"),
        &gpu.read(&dbg),
        &add(&db0, &db),
        &accumulate_bounds(nhw, &mb, &db0),
    );
}

#[test]
fn conv2d_forward_odd_shapes() {
    for (i, s) in [
        shape(3, 5, 7, 7, 9, 3),
        shape(3, 5, 7, 7, 9, 1),
        shape(1, 1, 1, 1, 1, 3),
        shape(1, 1, 1, 1, 1, 1),
        shape(2, 3, 9, 5, 4, 3),
        shape(2, 2, 6, 2, 13, 3),
        shape(1, 6, 5, 3, 3, 1),
        // 1x1 to at most 4 channels, whole quads of pixels: the narrow kernels
        shape(3, 5, 1, 3, 4, 1),
        shape(2, 7, 3, 2, 6, 1),
        shape(1, 1, 4, 4, 1, 1),
        shape(2, 33, 2, 5, 4, 1),
        // 3x3 from at most 4 channels, rows of whole quads: the thin kernels
        shape(3, 1, 5, 3, 4, 3),
        shape(2, 3, 6, 5, 8, 3),
        shape(1, 4, 9, 1, 4, 3),
        shape(2, 2, 1, 2, 12, 3),
    ]
    .into_iter()
    .enumerate()
    {
        check_forward(s, 10 + i as u64);
    }
}

#[test]
fn conv2d_forward_seed_shapes() {
    check_forward(shape(2, 64, 64, 28, 28, 3), 20);
    check_forward(shape(2, 128, 256, 7, 7, 3), 21);
    check_forward(shape(2, 64, 1, 28, 28, 1), 22);
}

#[test]
fn conv2d_backward_odd_shapes() {
    for (i, s) in [
        shape(3, 5, 7, 7, 9, 3),
        shape(3, 5, 7, 7, 9, 1),
        shape(1, 1, 1, 1, 1, 3),
        shape(2, 3, 9, 5, 4, 3),
        shape(2, 6, 2, 2, 13, 3),
        shape(2, 6, 5, 3, 3, 1),
        // more input channels and wider rows: idle lanes and a missing second output group
        // in the weight gradient
        shape(3, 23, 9, 5, 17, 3),
        shape(2, 37, 5, 3, 16, 3),
        shape(1, 24, 3, 2, 15, 3),
        // the narrow kernels (1x1, cout <= 4, h * w a multiple of 4), with more splits of
        // the weight gradient than quads in one image
        shape(3, 5, 1, 3, 4, 1),
        shape(2, 7, 3, 2, 6, 1),
        shape(4, 2, 4, 6, 6, 1),
        // the thin kernels' weight gradient (backward-input stays packed), with splits
        // that cross images
        shape(3, 1, 5, 3, 4, 3),
        shape(2, 3, 6, 5, 8, 3),
        shape(5, 2, 9, 3, 4, 3),
        shape(1, 4, 2, 1, 4, 3),
    ]
    .into_iter()
    .enumerate()
    {
        check_backward(s, 30 + i as u64);
    }
}

#[test]
fn conv2d_backward_seed_shapes() {
    check_backward(shape(2, 64, 128, 14, 14, 3), 40);
    check_backward(shape(2, 64, 1, 28, 28, 1), 41);
}

/// (Shaders conv2d_narrow, conv2d_narrow_weight and conv2d_narrow_weight_reduce.)
/// The launchers route a 1x1 conv to at most 4 channels over whole pixel quads to the narrow
/// kernels, and a 3x3 conv from at most 4 channels over rows of whole quads to the thin ones
/// (which the shapes marked so above then test), and nothing else.
#[test]
fn conv2d_narrow_routing() {
    let gpu = gpu();
    let labels = |s: Conv2dShape| {
        let (x, y) = (
            gpu.zeros(&[s.n * s.cin * s.h * s.w]),
            gpu.zeros(&[s.n * s.cout * s.h * s.w]),
        );
        let (w, b) = (
            gpu.zeros(&[s.cout * s.cin * s.k * s.k]),
            gpu.zeros(&[s.cout]),
        );
        let mut ds = conv2d(&gpu, &s, &x, &w, &b, &y);
        ds.extend(conv2d_backward_input(&gpu, &s, &w, &y, &x));
        ds.extend(conv2d_backward_weight(&gpu, &s, &x, &y, &w, &b));
        ds.iter().map(|d| d.label).collect::<Vec<_>>()
    };
    let narrow = [
        "conv2d_narrow",
        "conv2d_narrow_backward_input",
        "conv2d_narrow_backward_weight",
        "conv2d_narrow_backward_weight_reduce",
    ];
    assert_eq!(labels(shape(3, 5, 1, 3, 4, 1)), narrow);
    assert_eq!(labels(shape(2, 64, 4, 28, 28, 1)), narrow);
    let thin = [
        "conv2d_thin",
        "conv2d_pack_input",
        "conv2d_pack_weight",
        "conv2d_backward_input",
        "conv2d_thin_backward_weight",
        "conv2d_thin_backward_weight_reduce",
    ];
    assert_eq!(labels(shape(3, 1, 5, 3, 4, 3)), thin);
    assert_eq!(labels(shape(2, 4, 64, 28, 28, 3)), thin);
    for s in [
        shape(2, 5, 5, 2, 2, 1),
        shape(2, 5, 1, 3, 3, 1),
        shape(2, 1, 1, 2, 2, 3),
        shape(2, 5, 3, 2, 4, 3),
    ] {
        let direct = |l: &&str| l.contains("narrow") || l.contains("thin");
        assert!(!labels(s).iter().any(direct), "{s:?}");
    }
}

/// L = sum(r * conv(x, w, b)) in f64.
pub fn loss(s: &Conv2dShape, x: &[f64], w: &[f64], b: &[f64], r: &[f32]) -> f64 {
    let (h, wd, k) = (s.h as isize, s.w as isize, s.k as isize);
    let mut l = 0.0;
    for n in 0..s.n {
        for co in 0..s.cout {
            for oh in 0..h {
                for ow in 0..wd {
                    let mut acc = b[co];
                    for ci in 0..s.cin {
                        for kh in 0..k {
                            for kw in 0..k {
                                let (ih, iw) = (oh + kh - k / 2, ow + kw - k / 2);
                                if ih < 0 || ih >= h || iw < 0 || iw >= wd {
                                    continue;
                                }
                                acc += x
                                    [((n * s.cin + ci) * s.h + ih as usize) * s.w + iw as usize]
                                    * w[((co * s.cin + ci) * s.k + kh as usize) * s.k
                                        + kw as usize];
                            }
                        }
                    }
                    l +=
                        acc * r[((n * s.cout + co) * s.h + oh as usize) * s.w + ow as usize] as f64;
                }
            }
        }
    }
    l
}

#[test]
fn conv2d_backward_finite_difference() {
    for gpu in paths() {
        fd_check_on(&gpu);
    }
}

fn fd_check_on(gpu: &Gpu) {
    for (i, s) in [
        shape(2, 3, 5, 5, 6, 3),
        shape(2, 3, 5, 4, 3, 1),
        shape(2, 22, 3, 3, 14, 3),
        // the narrow and the thin kernels
        shape(2, 3, 2, 2, 2, 1),
        shape(2, 1, 3, 3, 4, 3),
    ]
    .into_iter()
    .enumerate()
    {
        let mut rng = HostRng::new(50 + i as u64);
        let (x, w, b) = data(&mut rng, &s);
        let r = rng.vec_normal(s.n * s.cout * s.h * s.w);
        let f64v = |v: &[f32]| v.iter().map(|a| *a as f64).collect::<Vec<f64>>();
        let (xd, wd, bd) = (f64v(&x), f64v(&w), f64v(&b));
        let eps = 1e-3;
        let fdx = finite_diff(&xd, eps, |xs| loss(&s, xs, &wd, &bd, &r));
        let fdw = finite_diff(&wd, eps, |ws| loss(&s, &xd, ws, &bd, &r));
        let fdb = finite_diff(&bd, eps, |bs| loss(&s, &xd, &wd, bs, &r));

        let xg = upload(gpu, &x, &[x.len()]);
        let wg = upload(gpu, &w, &[w.len()]);
        let rg = upload(gpu, &r, &[r.len()]);
        let (dxg, dwg, dbg) = (
            gpu.zeros(&[x.len()]),
            gpu.zeros(&[w.len()]),
            gpu.zeros(&[s.cout]),
        );
        let mut ds = conv2d_backward_input(gpu, &s, &wg, &rg, &dxg);
        ds.extend(conv2d_backward_weight(gpu, &s, &xg, &rg, &dwg, &dbg));
        run(gpu, ds);
        // L is linear in each argument, so central differences are exact up to f64 rounding;
        // the tolerance covers the GPU's f32 sums.
        let f32v = |v: Vec<f64>| v.into_iter().map(|a| a as f32).collect::<Vec<f32>>();
        assert_close(
            &format!("conv2d fd dx {s:?} ({:?})", gpu.spread),
            &gpu.read(&dxg),
            &f32v(fdx),
            1e-4,
            1e-4,
        );
        assert_close(
            &format!("conv2d fd dw {s:?} ({:?})", gpu.spread),
            &gpu.read(&dwg),
            &f32v(fdw),
            1e-4,
            1e-4,
        );
        assert_close(
            &format!("conv2d fd db {s:?} ({:?})", gpu.spread),
            &gpu.read(&dbg),
            &f32v(fdb),
            1e-4,
            1e-4,
        );
    }
}
