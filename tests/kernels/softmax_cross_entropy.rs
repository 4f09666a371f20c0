use wgpu_ddpm::kernels::softmax_cross_entropy::*;

use crate::common::*;

// (rows, classes): odd, a single row, a single class, rows past one workgroup (256), and
// logits large enough that an unshifted exp would overflow f32.
const SHAPES: &[(usize, usize)] = &[(1, 1), (3, 5), (7, 10), (257, 3), (600, 11)];

fn case(rng: &mut HostRng, rows: usize, classes: usize) -> (Vec<f32>, Vec<u32>) {
    let mut logits = rng.vec_normal(rows * classes);
    if rows > 256 {
        // One row far beyond exp's f32 range: the max-subtracted form keeps it finite.
        logits[..classes].iter_mut().for_each(|v| *v *= 200.0);
    }
    let labels = (0..rows)
        .map(|_| rng.below(classes as u64) as u32)
        .collect();
    (logits, labels)
}

#[test]
fn softmax_cross_entropy_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(141);
    for &(rows, classes) in SHAPES {
        let (logits, labels) = case(&mut rng, rows, classes);
        let lg = upload(&gpu, &logits, &[rows, classes]);
        let yg = gpu.upload_u32(&labels, &[rows]);
        let (pg, loss) = (gpu.zeros(&[rows, classes]), upload(&gpu, &[9.0], &[1]));
        run(
            &gpu,
            softmax_cross_entropy(&gpu, rows, classes, &lg, &yg, &pg, &loss),
        );
        let (logp, want) = softmax_cross_entropy_cpu(&logits, &labels, classes);
        let what = format!("{rows}x{classes}");
        assert_close(&format!("logp {what}"), &gpu.read(&pg), &logp, 1e-5, 1e-5);
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
        let (logits, labels) = case(&mut rng, rows, classes);
        let lg = upload(&gpu, &logits, &[rows, classes]);
        let yg = gpu.upload_u32(&labels, &[rows]);
        let (pg, loss) = (gpu.zeros(&[rows, classes]), gpu.zeros(&[1]));
        let d0 = rng.vec_normal(rows * classes);
        let dg = upload(&gpu, &d0, &[rows, classes]);
        let mut ds = softmax_cross_entropy(&gpu, rows, classes, &lg, &yg, &pg, &loss);
        ds.push(softmax_cross_entropy_backward(
            &gpu, rows, classes, &pg, &yg, &dg,
        ));
        run(&gpu, ds);
        let fresh = softmax_cross_entropy_backward_cpu(&logits, &labels, classes);
        assert_accumulates(
            &format!("dlogits {rows}x{classes}"),
            &gpu.read(&dg),
            &d0,
            &fresh,
            1e-6,
            1e-5,
        );
    }
}

#[test]
fn softmax_cross_entropy_backward_finite_difference() {
    let gpu = gpu();
    let mut rng = HostRng::new(143);
    let (rows, classes) = (5, 7);
    let (logits, labels) = case(&mut rng, rows, classes);
    let lg = upload(&gpu, &logits, &[rows, classes]);
    let yg = gpu.upload_u32(&labels, &[rows]);
    let (pg, loss, dg) = (
        gpu.zeros(&[rows, classes]),
        gpu.zeros(&[1]),
        gpu.zeros(&[rows, classes]),
    );
    let mut ds = softmax_cross_entropy(&gpu, rows, classes, &lg, &yg, &pg, &loss);
    ds.push(softmax_cross_entropy_backward(
        &gpu, rows, classes, &pg, &yg, &dg,
    ));
    run(&gpu, ds);
    // Mean cross-entropy in f64 at the perturbed logits.
    let loss_f64 = |x: &[f64]| {
        x.chunks(classes)
            .zip(&labels)
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
        &f64s(&logits),
        1e-4,
        loss_f64,
        1e-6,
        1e-4,
    );
}
