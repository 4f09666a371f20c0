//! How far the attention kernels' f32 results may lie from the f64 reference, step by step
//! along what the kernels compute (docs/tolerances.md), for `attention.rs`.

use wgpu_ddpm::kernels::attention::AttentionShape;

use crate::common::tol::{exp_ulp, gamma, DIV_ULP, U, ULP_REL};

/// (1 + a)(1 + b) - 1: two relative errors in sequence.
fn compose(a: f64, b: f64) -> f64 {
    a + b + a * b
}

/// One head's probabilities in f64 with the relative error the GPU's f32 P may carry:
///  - score s_j = f32(1/sqrt(d)) * (q . k_j): d products and the scale (rounded once by the
///    host's correctly rounded sqrt and division): gamma(d + 3) of its magnitude;
///  - a_j = s_j - max: both scores' errors and one rounding; exp(a_j) then carries
///    expm1(da_j) + (3 + 2|a_j|) ULP relative;
///  - the row sum of L exps (all positive): their errors weighted by exp, plus gamma(L);
///    1 / sum 2.5 ULP; P_j = exp * inv one rounding.
struct Head {
    p: Vec<f64>,
    p_rel: Vec<f64>,
}

struct View<'a> {
    s: &'a AttentionShape,
    qkv: &'a [f32],
    img: usize,
    h: usize,
}

impl View<'_> {
    /// Element t of token j's q (part 0), k (1) or v (2) in this head.
    fn at(&self, part: usize, j: usize, t: usize) -> f64 {
        let (l, c, d) = (self.s.l, self.s.c, self.s.d());
        self.qkv[(self.img * l + j) * 3 * c + part * c + self.h * d + t] as f64
    }

    fn head(&self) -> Head {
        let (l, d) = (self.s.l, self.s.d());
        let scale = 1.0 / (d as f64).sqrt();
        let (mut p, mut p_rel) = (vec![0.0; l * l], vec![0.0; l * l]);
        for i in 0..l {
            let (mut sc, mut mag) = (vec![0.0; l], vec![0.0; l]);
            for j in 0..l {
                for t in 0..d {
                    let qk = self.at(0, i, t) * self.at(1, j, t);
                    sc[j] += scale * qk;
                    mag[j] += scale * qk.abs();
                }
            }
            let jmax = (0..l).max_by(|&x, &y| sc[x].total_cmp(&sc[y])).unwrap();
            let (mut sum, mut sum_err) = (0.0, 0.0);
            let mut e = vec![(0.0, 0.0); l];
            for j in 0..l {
                let a = sc[j] - sc[jmax];
                let da = gamma(d + 3) * (mag[j] + mag[jmax]) + U * a.abs();
                let rel = compose(da.exp_m1(), exp_ulp(a.abs() + da) * ULP_REL);
                e[j] = (a.exp(), rel);
                sum += a.exp();
                sum_err += a.exp() * rel;
            }
            let inv_rel = compose(compose(sum_err / sum, gamma(l)), DIV_ULP * ULP_REL);
            for (j, (e, rel)) in e.into_iter().enumerate() {
                p[i * l + j] = e / sum;
                p_rel[i * l + j] = compose(compose(rel, inv_rel), U);
            }
        }
        Head { p, p_rel }
    }
}

/// Bounds on o = P v: each term's P error times P_j |v_j|, gamma(L) of the magnitude, and
/// the reference's rounding of o.
pub fn forward_bounds(s: &AttentionShape, qkv: &[f32]) -> Vec<f64> {
    let (l, c, d) = (s.l, s.c, s.d());
    let mut bounds = vec![0.0; s.n * l * c];
    for img in 0..s.n {
        for h in 0..s.heads {
            let v = View { s, qkv, img, h };
            let hd = v.head();
            for i in 0..l {
                for t in 0..d {
                    let (mut err, mut mag, mut o) = (0.0, 0.0, 0.0);
                    for j in 0..l {
                        let pv = hd.p[i * l + j] * v.at(2, j, t);
                        err += hd.p_rel[i * l + j] * pv.abs();
                        mag += (1.0 + hd.p_rel[i * l + j]) * pv.abs();
                        o += pv;
                    }
                    bounds[(img * l + i) * c + h * d + t] = err + gamma(l) * mag + U * o.abs();
                }
            }
        }
    }
    bounds
}

/// Bounds on dqkv after the backward added into a buffer that held `before`, along the
/// kernels' steps: dv = P^T dO (L terms); dP = dO v^T (d terms); rowdot = dO . o (d terms,
/// o carrying `forward_bounds`); dS = scale P (dP - rowdot) (the difference's errors, P's,
/// three roundings and f32(scale)'s); dq = dS k and dk = dS^T q (L terms). Every sum is
/// taken onto the prefill: gamma(L + 1), and the reference rounds twice (fresh, then the
/// add), so gamma(L + 3) of the magnitude with the prefill.
pub fn backward_bounds(s: &AttentionShape, qkv: &[f32], dout: &[f32], before: &[f32]) -> Vec<f64> {
    let (l, c, d) = (s.l, s.c, s.d());
    let scale = 1.0 / (d as f64).sqrt();
    let ob = forward_bounds(s, qkv);
    let mut bounds = vec![0.0; s.n * l * 3 * c];
    for img in 0..s.n {
        for h in 0..s.heads {
            let v = View { s, qkv, img, h };
            let hd = v.head();
            let go = |i: usize, t: usize| dout[(img * l + i) * c + h * d + t] as f64;
            let o_err = |i: usize, t: usize| ob[(img * l + i) * c + h * d + t];
            // dS and its error bound.
            let (mut ds, mut ds_err) = (vec![0.0; l * l], vec![0.0; l * l]);
            for i in 0..l {
                let (mut row, mut row_err, mut row_mag) = (0.0, 0.0, 0.0);
                for t in 0..d {
                    let o: f64 = (0..l).map(|j| hd.p[i * l + j] * v.at(2, j, t)).sum();
                    row += go(i, t) * o;
                    row_mag += (go(i, t) * o).abs() + go(i, t).abs() * o_err(i, t);
                    row_err += go(i, t).abs() * o_err(i, t);
                }
                row_err += gamma(d) * row_mag;
                for j in 0..l {
                    let (mut dp, mut dp_mag) = (0.0, 0.0);
                    for t in 0..d {
                        dp += go(i, t) * v.at(2, j, t);
                        dp_mag += (go(i, t) * v.at(2, j, t)).abs();
                    }
                    let diff = dp - row;
                    let diff_err = gamma(d) * dp_mag + row_err;
                    let diff_err = diff_err + U * (diff.abs() + diff_err);
                    let k = i * l + j;
                    let rel = compose(hd.p_rel[k], 5.0 * U);
                    ds[k] = scale * hd.p[k] * diff;
                    ds_err[k] = scale * hd.p[k] * ((1.0 + rel) * diff_err + rel * diff.abs());
                }
            }
            let idx =
                |i: usize, part: usize, t: usize| (img * l + i) * 3 * c + part * c + h * d + t;
            for i in 0..l {
                for t in 0..d {
                    // (error carried in, magnitude) of dq_i, dk_i, dv_i.
                    let mut acc = [(0.0, 0.0); 3];
                    for j in 0..l {
                        let (dij, dji) = (ds[i * l + j], ds[j * l + i]);
                        let (eij, eji) = (ds_err[i * l + j], ds_err[j * l + i]);
                        let (kj, qj) = (v.at(1, j, t).abs(), v.at(0, j, t).abs());
                        acc[0].0 += eij * kj;
                        acc[0].1 += (dij.abs() + eij) * kj;
                        acc[1].0 += eji * qj;
                        acc[1].1 += (dji.abs() + eji) * qj;
                        let pji = hd.p[j * l + i];
                        let pe = pji * hd.p_rel[j * l + i];
                        acc[2].0 += pe * go(j, t).abs();
                        acc[2].1 += (pji + pe) * go(j, t).abs();
                    }
                    for (part, (err, mag)) in acc.into_iter().enumerate() {
                        let e = idx(i, part, t);
                        bounds[e] = err + gamma(l + 3) * (mag + before[e].abs() as f64);
                    }
                }
            }
        }
    }
    bounds
}
