use wgpu_ddpm::gpu::{Dispatch, GpuTensor};
use wgpu_ddpm::kernels::softmax_cross_entropy::*;

use crate::common::tol::{assert_within, exp_ulp, gamma, LOG_ABS_NEAR_1, LOG_ULP, U, ULP_REL};
use crate::common::*;
use crate::elementwise_support::*;

// (rows, classes): odd, a single row, a single class, rows past one workgroup (256), and
// logits large enough that an unshifted exp would overflow f32.
const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 5), (7, 10), (257, 3), (600, 11)];

/// Random logits and labels on the host and the GPU, and the buffer the forward writes
/// log-probabilities to (the backward reads them).
struct Case {
    rows: usize,
    classes: usize,
    logits: Vec<f32>,
    labels: Vec<u32>,
    lg: GpuTensor,
    yg: GpuTensor,
    pg: GpuTensor,
}

impl Case {
    fn new(rng: &mut HostRng, rows: usize, classes: usize) -> Self {
        let mut logits = rng.vec_normal(rows * classes);
        if rows > 256 {
            // One row far beyond exp's f32 range: the max-subtracted form keeps it finite.
            logits[..classes].iter_mut().for_each(|v| *v *= 200.0);
        }
        let labels: Vec<u32> = (0..rows)
            .map(|_| rng.below(classes as u64) as u32)
            .collect();
        let gpu = gpu();
        let lg = upload(&gpu, &logits, &[rows, classes]);
        let (yg, pg) = (
            gpu.upload_u32(&labels, &[rows]),
            gpu.zeros(&[rows, classes]),
        );
        Self {
            rows,
            classes,
            logits,
            labels,
            lg,
            yg,
            pg,
        }
    }

    fn forward(&self, loss: &GpuTensor) -> Vec<Dispatch> {
        let (rows, classes) = (self.rows, self.classes);
        softmax_cross_entropy(&gpu(), rows, classes, &self.lg, &self.yg, &self.pg, loss)
    }

    /// The forward, then the backward adding into `dlogits`.
    fn forward_backward(&self, dlogits: &GpuTensor) -> Vec<Dispatch> {
        let mut ds = self.forward(&gpu().zeros(&[1]));
        ds.push(softmax_cross_entropy_backward(
            &gpu(),
            self.rows,
            self.classes,
            &self.pg,
            &self.yg,
            dlogits,
        ));
        ds
    }
}

/// Per row, along the forward shader: a_k = x_k - max (one rounding), exp(a_k)
/// (expm1 of that rounding + (3 + 2|a|) ULP), s = sum of C exps (their errors + gamma(C)),
/// log(s) (2^-21 absolute on [0.5, 2], else 3 ULP, plus log(1 + s's relative error)),
/// lse = max + log(s) one rounding. Returns (lse, its error bound) per row.
fn lse_bounds(logits: &[f32], classes: usize) -> Vec<(f64, f64)> {
    logits
        .chunks(classes)
        .map(|r| {
            let m = r.iter().fold(f32::MIN, |a, b| a.max(*b)) as f64;
            let (mut sum, mut err) = (0.0, 0.0);
            for v in r {
                let a = *v as f64 - m;
                let rel = (U * a.abs()).exp_m1() + exp_ulp(a) * ULP_REL;
                sum += a.exp();
                err += a.exp() * rel + gamma(classes) * a.exp() * (1.0 + rel);
            }
            let rel = err / sum;
            let ln = sum.ln();
            let log_err = if (0.5..=2.0).contains(&sum) {
                LOG_ABS_NEAR_1
            } else {
                LOG_ULP * ULP_REL * ln.abs()
            };
            let log_err = log_err + rel / (1.0 - rel);
            let lse = m + ln;
            (lse, log_err + U * (lse.abs() + log_err))
        })
        .collect()
}

/// logp_k = x_k - lse (lse's error, one rounding, the reference's rounding); the loss: each
/// row's lse - x_y likewise, summed by `mse::sum_pass` (a tree of depth ceil(rows/256) + 8
/// over non-negative terms), times f32(1/N) (two roundings) and the reference's rounding.
fn forward_bounds(logits: &[f32], labels: &[u32], classes: usize) -> (Vec<f64>, f64) {
    let lse = lse_bounds(logits, classes);
    let mut logp = Vec::with_capacity(logits.len());
    let (mut loss, mut loss_err) = (0.0, 0.0);
    for ((r, &(l, e)), &y) in logits.chunks(classes).zip(&lse).zip(labels) {
        for v in r {
            let lp = (*v as f64 - l).abs();
            logp.push(e + U * (lp + e) + U * lp);
        }
        let row = l - r[y as usize] as f64;
        loss += row;
        loss_err += e + U * (row.abs() + e);
    }
    let rows = lse.len();
    let depth = rows.div_ceil(256) + 8;
    let sum_err = loss_err + gamma(depth) * (loss + loss_err);
    let (mean, mean_err) = (loss / rows as f64, sum_err / rows as f64);
    (logp, mean_err + 3.0 * U * (mean + mean_err))
}

#[test]
fn softmax_cross_entropy_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(141);
    for &(rows, classes) in SHAPES {
        let c = Case::new(&mut rng, rows, classes);
        let loss = upload(&gpu, &[9.0], &[1]);
        run(&gpu, c.forward(&loss));
        let (logp, want) = softmax_cross_entropy_cpu(&c.logits, &c.labels, classes);
        let what = format!("{rows}x{classes}");
        let (logp_b, loss_b) = forward_bounds(&c.logits, &c.labels, classes);
        assert_within(&format!("logp {what}"), &gpu.read(&c.pg), &logp, &logp_b);
        assert_within(
            &format!("loss {what}"),
            &gpu.read(&loss),
            &[want],
            &[loss_b],
        );
    }
}

#[test]
fn softmax_cross_entropy_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(142);
    for &(rows, classes) in SHAPES {
        let c = Case::new(&mut rng, rows, classes);
        let d = Filled::normal(&mut rng, &[rows, classes]);
        run(&gpu, c.forward_backward(&d.dev));
        let fresh = softmax_cross_entropy_backward_cpu(&c.logits, &c.labels, classes);
        // exp(logp_k) carries logp's error (expm1 of it) and (3 + 2|logp|) ULP; minus the
        // one-hot, times f32(1/N), the add: four roundings; the reference's two.
        let (logp_b, _) = forward_bounds(&c.logits, &c.labels, classes);
        let inv = 1.0 / rows as f64;
        let bounds: Vec<f64> = (0..rows * classes)
            .map(|i| {
                let lse = lse_bounds(&c.logits[i / classes * classes..][..classes], classes)[0].0;
                let lp = c.logits[i] as f64 - lse;
                let pk = lp.exp();
                let e_p = pk * (logp_b[i].exp_m1() + exp_ulp(lp) * ULP_REL);
                let onehot = (i % classes == c.labels[i / classes] as usize) as u8 as f64;
                let g = (pk - onehot).abs() + e_p;
                inv * (e_p + 4.0 * U * g) + 2.0 * U * (inv * g + d.host[i].abs() as f64)
            })
            .collect();
        let want: Vec<f32> = d.host.iter().zip(&fresh).map(|(a, b)| a + b).collect();
        assert_within(
            &format!("dlogits {rows}x{classes}"),
            &read(&d.dev),
            &want,
            &bounds,
        );
    }
}

#[test]
fn softmax_cross_entropy_backward_finite_difference() {
    let gpu = gpu();
    let mut rng = HostRng::new(143);
    let (rows, classes) = (5, 7);
    let c = Case::new(&mut rng, rows, classes);
    let dg = gpu.zeros(&[rows, classes]);
    run(&gpu, c.forward_backward(&dg));
    // Mean cross-entropy in f64 at the perturbed logits.
    let loss_f64 = |x: &[f64]| {
        x.chunks(classes)
            .zip(&c.labels)
            .map(|(r, &y)| {
                let m = r.iter().cloned().fold(f64::MIN, f64::max);
                m + r.iter().map(|v| (v - m).exp()).sum::<f64>().ln() - r[y as usize]
            })
            .sum::<f64>()
            / rows as f64
    };
    fd_check(
        "softmax_cross_entropy fd",
        &gpu.read(&dg),
        &f64s(&c.logits),
        1e-4,
        loss_f64,
        1e-6,
        1e-4,
    );
}
