//! CPU references of conv2d (f64 accumulation).

use super::Conv2dShape;

/// CPU reference forward (f64 accumulation).
pub fn conv2d_cpu(s: &Conv2dShape, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
    let (h, wd, k) = (s.h as isize, s.w as isize, s.k as isize);
    let pad = k / 2;
    let mut y = vec![0f32; s.y_len()];
    for n in 0..s.n {
        for co in 0..s.cout {
            for oh in 0..h {
                for ow in 0..wd {
                    let mut acc = b[co] as f64;
                    for ci in 0..s.cin {
                        for kh in 0..k {
                            let ih = oh + kh - pad;
                            if ih < 0 || ih >= h {
                                continue;
                            }
                            for kw in 0..k {
                                let iw = ow + kw - pad;
                                if iw < 0 || iw >= wd {
                                    continue;
                                }
                                let xv =
                                    x[((n * s.cin + ci) * s.h + ih as usize) * s.w + iw as usize];
                                let wv =
                                    w[((co * s.cin + ci) * s.k + kh as usize) * s.k + kw as usize];
                                acc += xv as f64 * wv as f64;
                            }
                        }
                    }
                    y[((n * s.cout + co) * s.h + oh as usize) * s.w + ow as usize] = acc as f32;
                }
            }
        }
    }
    y
}

/// returns (dx, dw, db)
pub fn conv2d_backward_cpu(
    s: &Conv2dShape,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (h, wd, k) = (s.h as isize, s.w as isize, s.k as isize);
    let pad = k / 2;
    let mut dx = vec![0f64; s.x_len()];
    let mut dw = vec![0f64; s.w_len()];
    let mut db = vec![0f64; s.cout];
    for n in 0..s.n {
        for co in 0..s.cout {
            for oh in 0..h {
                for ow in 0..wd {
                    let g = dy[((n * s.cout + co) * s.h + oh as usize) * s.w + ow as usize] as f64;
                    db[co] += g;
                    for ci in 0..s.cin {
                        for kh in 0..k {
                            let ih = oh + kh - pad;
                            if ih < 0 || ih >= h {
                                continue;
                            }
                            for kw in 0..k {
                                let iw = ow + kw - pad;
                                if iw < 0 || iw >= wd {
                                    continue;
                                }
                                let xi = ((n * s.cin + ci) * s.h + ih as usize) * s.w + iw as usize;
                                let wi =
                                    ((co * s.cin + ci) * s.k + kh as usize) * s.k + kw as usize;
                                dx[xi] += g * w[wi] as f64;
                                dw[wi] += g * x[xi] as f64;
                            }
                        }
                    }
                }
            }
        }
    }
    let f = |v: Vec<f64>| v.into_iter().map(|a| a as f32).collect::<Vec<f32>>();
    (f(dx), f(dw), f(db))
}
