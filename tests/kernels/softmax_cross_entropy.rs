use wgpu_ddpm::gpu::{Dispatch, GpuTensor};
use wgpu_ddpm::kernels::softmax_cross_entropy::*;

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
        assert_close(&format!("logp {what}"), &gpu.read(&c.pg), &logp, 1e-5, 1e-5);
        assert_close(
            &format!("loss {what}"),
            &gpu.read(&loss),
            &[want],
            1e-5,
            1e-5,
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
        d.assert_accumulated(&format!("dlogits {rows}x{classes}"), &fresh, 1e-6, 1e-5);
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
