//! CPU references of the attention core, in f64 (the `_f64` forms serve finite differences).
//! The backward uses the textbook softmax gradient dS = P * (dP - rowsum(dP * P)), not the
//! dO . O shortcut of the kernels, so the two are computed differently.

use super::AttentionShape;

/// Head h of image i as an [L, d] matrix read out of rows of width `width` starting at
/// column `col0`.
fn block(src: &[f64], s: &AttentionShape, img: usize, width: usize, col0: usize) -> Vec<f64> {
    let d = s.d();
    let mut out = Vec::with_capacity(s.l * d);
    for r in 0..s.l {
        let base = (img * s.l + r) * width + col0;
        out.extend_from_slice(&src[base..base + d]);
    }
    out
}

/// Adds an [L, d] block back into rows of width `width` at column `col0`.
fn add_block(
    dst: &mut [f64],
    blk: &[f64],
    s: &AttentionShape,
    img: usize,
    width: usize,
    col0: usize,
) {
    let d = s.d();
    for r in 0..s.l {
        let base = (img * s.l + r) * width + col0;
        for t in 0..d {
            dst[base + t] += blk[r * d + t];
        }
    }
}

/// y[i, j] = sum over t in 0..k of a(i, t) b(t, j) for an [m, n] result, summed in
/// increasing t; the accessors say how each operand is laid out.
fn product(
    m: usize,
    n: usize,
    k: usize,
    a: impl Fn(usize, usize) -> f64,
    b: impl Fn(usize, usize) -> f64,
) -> Vec<f64> {
    (0..m * n)
        .map(|e| (0..k).map(|t| a(e / n, t) * b(t, e % n)).sum())
        .collect()
}

/// a [m, k] times b^T (b [n, k]) -> [m, n].
fn mul_t(a: &[f64], b: &[f64], m: usize, n: usize, k: usize) -> Vec<f64> {
    product(m, n, k, |i, t| a[i * k + t], |t, j| b[j * k + t])
}

/// a^T (a [k, m]) times b [k, n] -> [m, n].
fn t_mul(a: &[f64], b: &[f64], m: usize, n: usize, k: usize) -> Vec<f64> {
    product(m, n, k, |i, t| a[t * m + i], |t, j| b[t * n + j])
}

/// a [m, k] times b [k, n] -> [m, n].
fn mul(a: &[f64], b: &[f64], m: usize, n: usize, k: usize) -> Vec<f64> {
    product(m, n, k, |i, t| a[i * k + t], |t, j| b[t * n + j])
}

/// Softmax of q k^T / sqrt(d) for head h of image img: [L, L].
fn probs(s: &AttentionShape, qkv: &[f64], img: usize, h: usize) -> Vec<f64> {
    let (l, c, d) = (s.l, s.c, s.d());
    let q = block(qkv, s, img, 3 * c, h * d);
    let k = block(qkv, s, img, 3 * c, c + h * d);
    let scale = 1.0 / (d as f64).sqrt();
    let mut p = mul_t(&q, &k, l, l, d);
    for row in p.chunks_mut(l) {
        let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = ((*v - m) * scale).exp();
            sum += *v;
        }
        row.iter_mut().for_each(|v| *v /= sum);
    }
    p
}

/// (P [n * heads, L, L], o [n, L, C]) of the attention core, from qkv [n, L, 3C].
pub fn attention_f64(s: &AttentionShape, qkv: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (l, c, d) = (s.l, s.c, s.d());
    let mut all_p = Vec::with_capacity(s.probs_len());
    let mut o = vec![0.0; s.n * l * c];
    for img in 0..s.n {
        for h in 0..s.heads {
            let p = probs(s, qkv, img, h);
            let v = block(qkv, s, img, 3 * c, 2 * c + h * d);
            add_block(&mut o, &mul(&p, &v, l, d, l), s, img, c, h * d);
            all_p.extend_from_slice(&p);
        }
    }
    (all_p, o)
}

/// The gradient of [`attention_f64`]'s o with respect to qkv, for the output gradient dout.
pub fn attention_backward_f64(s: &AttentionShape, qkv: &[f64], dout: &[f64]) -> Vec<f64> {
    let (l, c, d) = (s.l, s.c, s.d());
    let scale = 1.0 / (d as f64).sqrt();
    let mut dqkv = vec![0.0; qkv.len()];
    for img in 0..s.n {
        for h in 0..s.heads {
            let p = probs(s, qkv, img, h);
            let q = block(qkv, s, img, 3 * c, h * d);
            let k = block(qkv, s, img, 3 * c, c + h * d);
            let v = block(qkv, s, img, 3 * c, 2 * c + h * d);
            let go = block(dout, s, img, c, h * d);
            let dv = t_mul(&p, &go, l, d, l);
            let dp = mul_t(&go, &v, l, l, d);
            let mut ds = vec![0.0; l * l];
            for i in 0..l {
                let r = i * l..(i + 1) * l;
                let row: f64 = dp[r.clone()].iter().zip(&p[r]).map(|(a, b)| a * b).sum();
                for j in 0..l {
                    ds[i * l + j] = p[i * l + j] * (dp[i * l + j] - row) * scale;
                }
            }
            add_block(&mut dqkv, &mul(&ds, &k, l, d, l), s, img, 3 * c, h * d);
            add_block(
                &mut dqkv,
                &t_mul(&ds, &q, l, d, l),
                s,
                img,
                3 * c,
                c + h * d,
            );
            add_block(&mut dqkv, &dv, s, img, 3 * c, 2 * c + h * d);
        }
    }
    dqkv
}

fn wide(v: &[f32]) -> Vec<f64> {
    v.iter().map(|x| *x as f64).collect()
}

fn narrow(v: &[f64]) -> Vec<f32> {
    v.iter().map(|x| *x as f32).collect()
}

/// CPU reference of [`super::attention`]: (P, o).
pub fn attention_cpu(s: &AttentionShape, qkv: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let (p, o) = attention_f64(s, &wide(qkv));
    (narrow(&p), narrow(&o))
}

/// CPU reference of [`super::attention_backward`]: the fresh gradient dqkv.
pub fn attention_backward_cpu(s: &AttentionShape, qkv: &[f32], dout: &[f32]) -> Vec<f32> {
    narrow(&attention_backward_f64(s, &wide(qkv), &wide(dout)))
}
