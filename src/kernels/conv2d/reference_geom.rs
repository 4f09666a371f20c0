//! CPU references of the general-geometry Conv2d and of ConvTranspose2d (f64 accumulation),
//! written from the definitions, independent of how the kernels decompose them.

use super::{Conv2dGeom, ConvTranspose2dShape, GeneralConv};

/// Every product of a convolution as (x index, w index, y index); `f` sees each once.
fn conv_products(s: &Conv2dGeom, f: &mut dyn FnMut(usize, usize, usize)) {
    let (oh, ow) = (s.out_h(), s.out_w());
    for n in 0..s.n {
        for co in 0..s.cout {
            for r in 0..oh {
                for c in 0..ow {
                    let yi = ((n * s.cout + co) * oh + r) * ow + c;
                    for ci in 0..s.cin {
                        for ky in 0..s.k {
                            let Some(ih) = (r * s.stride + ky).checked_sub(s.pad) else {
                                continue;
                            };
                            for kx in 0..s.k {
                                let Some(iw) = (c * s.stride + kx).checked_sub(s.pad) else {
                                    continue;
                                };
                                if ih < s.h && iw < s.w {
                                    let xi = ((n * s.cin + ci) * s.h + ih) * s.w + iw;
                                    let wi = ((co * s.cin + ci) * s.k + ky) * s.k + kx;
                                    f(xi, wi, yi);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Every product of a transposed convolution (input pixel scattered through each tap).
fn transpose_products(s: &ConvTranspose2dShape, f: &mut dyn FnMut(usize, usize, usize)) {
    let (oh, ow) = (s.out_h(), s.out_w());
    for n in 0..s.n {
        for ci in 0..s.cin {
            for ih in 0..s.h {
                for iw in 0..s.w {
                    let xi = ((n * s.cin + ci) * s.h + ih) * s.w + iw;
                    for co in 0..s.cout {
                        for ky in 0..s.k {
                            let Some(r) = (ih * s.stride + ky).checked_sub(s.pad) else {
                                continue;
                            };
                            for kx in 0..s.k {
                                let Some(c) = (iw * s.stride + kx).checked_sub(s.pad) else {
                                    continue;
                                };
                                if r < oh && c < ow {
                                    let yi = ((n * s.cout + co) * oh + r) * ow + c;
                                    let wi = ((ci * s.cout + co) * s.k + ky) * s.k + kx;
                                    f(xi, wi, yi);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn to_f32(v: Vec<f64>) -> Vec<f32> {
    v.into_iter().map(|a| a as f32).collect()
}

/// y = the sum of the products (+ b[co] on channel co, each `plane` outputs).
fn forward(
    products: impl FnOnce(&mut dyn FnMut(usize, usize, usize)),
    (x, w, b): (&[f32], &[f32], Option<&[f32]>),
    y_len: usize,
    plane: usize,
) -> Vec<f32> {
    let mut y = vec![0f64; y_len];
    products(&mut |xi, wi, yi| y[yi] += x[xi] as f64 * w[wi] as f64);
    if let Some(b) = b {
        for (i, v) in y.iter_mut().enumerate() {
            *v += b[(i / plane) % b.len()] as f64;
        }
    }
    to_f32(y)
}

/// (dx, dw, db) from the products and dy.
fn backward(
    products: impl FnOnce(&mut dyn FnMut(usize, usize, usize)),
    (x, w, dy): (&[f32], &[f32], &[f32]),
    cout: usize,
    plane: usize,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut dx = vec![0f64; x.len()];
    let mut dw = vec![0f64; w.len()];
    let mut db = vec![0f64; cout];
    products(&mut |xi, wi, yi| {
        let g = dy[yi] as f64;
        dx[xi] += g * w[wi] as f64;
        dw[wi] += g * x[xi] as f64;
    });
    for (i, g) in dy.iter().enumerate() {
        db[(i / plane) % cout] += *g as f64;
    }
    (to_f32(dx), to_f32(dw), to_f32(db))
}

/// Conv2d forward: x [n,cin,h,w], w [cout,cin,k,k], b [cout] -> y [n,cout,oh,ow].
pub fn conv2d_geom_cpu(s: &Conv2dGeom, x: &[f32], w: &[f32], b: Option<&[f32]>) -> Vec<f32> {
    let plane = s.out_h() * s.out_w();
    forward(|f| conv_products(s, f), (x, w, b), s.y_len(), plane)
}

/// Conv2d backward: (dx, dw, db) for dy [n,cout,oh,ow].
pub fn conv2d_geom_backward_cpu(
    s: &Conv2dGeom,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let plane = s.out_h() * s.out_w();
    backward(|f| conv_products(s, f), (x, w, dy), s.cout, plane)
}

/// ConvTranspose2d forward: x [n,cin,h,w], w [cin,cout,k,k], b [cout] -> y [n,cout,oh,ow].
pub fn conv_transpose2d_cpu(
    s: &ConvTranspose2dShape,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
) -> Vec<f32> {
    let plane = s.out_h() * s.out_w();
    forward(|f| transpose_products(s, f), (x, w, b), s.y_len(), plane)
}

/// ConvTranspose2d backward: (dx, dw, db) for dy [n,cout,oh,ow].
pub fn conv_transpose2d_backward_cpu(
    s: &ConvTranspose2dShape,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let plane = s.out_h() * s.out_w();
    backward(|f| transpose_products(s, f), (x, w, dy), s.cout, plane)
}
