//! conv2d_pack_input's fused sources: a conv whose input is packed from x + v or from
//! cat(a, b) + v must equal the CPU conv of that input, built on the CPU, on both kernel
//! paths (`conv2d::paths`).

use wgpu_ddpm::gpu::Gpu;
use wgpu_ddpm::kernels::conv2d::*;

use crate::common::tol::{abs, assert_within, reduction_bounds};
use crate::common::*;
use crate::conv2d::paths;

fn conv_of(src_is_cat: bool, s: Conv2dShape, seed: u64) {
    for gpu in paths() {
        conv_of_on(&gpu, src_is_cat, s, seed);
    }
}

fn conv_of_on(gpu: &Gpu, src_is_cat: bool, s: Conv2dShape, seed: u64) {
    let mut rng = HostRng::new(seed);
    let (n, c, hw) = (s.n, s.cin, s.h * s.w);
    let ca = if src_is_cat { c / 2 } else { c };
    let a = rng.vec_normal(n * ca * hw);
    let b = rng.vec_normal(n * (c - ca) * hw);
    let v = rng.vec_normal(n * c);
    let w = rng.vec_normal(s.cout * c * s.k * s.k);
    let bias = rng.vec_normal(s.cout);
    // The input the fused pack must produce: cat(a, b) + v broadcast over the pixels.
    let mut x = vec![0f32; n * c * hw];
    for ni in 0..n {
        for ch in 0..c {
            for j in 0..hw {
                let src = if ch < ca {
                    a[(ni * ca + ch) * hw + j]
                } else {
                    b[(ni * (c - ca) + ch - ca) * hw + j]
                };
                x[(ni * c + ch) * hw + j] = src + v[ni * c + ch];
            }
        }
    }
    let t = |d: &[f32]| upload(gpu, d, &[d.len()]);
    let (ag, bg, vg, wg, biasg) = (t(&a), t(&b), t(&v), t(&w), t(&bias));
    let y = gpu.zeros(&[n * s.cout * hw]);
    let plan = ConvPlan::new(gpu, &s, false);
    let src = if src_is_cat {
        PackSource::CatAdd {
            a: &ag,
            b: &bg,
            v: &vg,
        }
    } else {
        PackSource::Add { x: &ag, v: &vg }
    };
    run(gpu, plan.forward_from(gpu, src, &wg, &biasg, &y));
    let what = format!(
        "conv2d_pack_input cat={src_is_cat} {s:?} ({:?})",
        gpu.spread
    );
    // x = src + v is one correctly rounded addition, as on the CPU; then cin*k*k products
    // and the bias per output.
    let mag = conv2d_cpu(&s, &abs(&x), &abs(&w), &abs(&bias));
    assert_within(
        &what,
        &gpu.read(&y),
        &conv2d_cpu(&s, &x, &w, &bias),
        &reduction_bounds(s.cin * s.k * s.k + 1, &mag),
    );
}

#[test]
fn conv2d_pack_input_add_and_cat_add() {
    for (i, (n, cin, cout, h, w)) in [(2, 6, 5, 5, 9), (3, 10, 8, 7, 7), (1, 2, 3, 4, 3)]
        .into_iter()
        .enumerate()
    {
        let s = Conv2dShape {
            n,
            cin,
            cout,
            h,
            w,
            k: 3,
        };
        conv_of(false, s, 80 + i as u64);
        conv_of(true, s, 90 + i as u64);
    }
}

/// The packed textures are arrays of two layers or more (`gpu::texture`: one layer is not an
/// array on wgpu's GL backend), with images split over the layers rather than a layer added.
#[test]
fn conv2d_pack_input_texture_has_two_layers() {
    let gpu = gpu();
    for (n, h, layers, height) in [(1, 4, 2, 6), (2, 5, 2, 7), (3, 5, 2, 14), (8, 3, 2, 20)] {
        let t = PackedInput::new(&gpu, n, 6, h, 9).view.texture().clone();
        assert_eq!(
            (t.depth_or_array_layers(), t.height()),
            (layers, height),
            "{n} images of height {h}: (layers, texture height)"
        );
    }
}
