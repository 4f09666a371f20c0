//! The norms: batchnorm (training mode), group_norm and layer_norm, each forward (which saves
//! the mean and rstd) and backward from the saved statistics, against the shared f64 CPU
//! reference.

use super::compare::{bound, Probe};
use crate::gpu::{Dispatch, GpuTensor};
use crate::kernels::batchnorm::{batchnorm_backward, batchnorm_train, BnOut, BnShape};
use crate::kernels::group_norm::{group_norm, group_norm_backward, GnShape};
use crate::kernels::layer_norm::{layer_norm, layer_norm_backward, LnShape};
use crate::kernels::norm_reference::{norm_backward_cpu, norm_cpu, NormLayout};

/// GPU tensors of one norm run: x, gamma, beta, y, mean, rstd, dy, dx, dgamma, dbeta.
struct Run {
    x: GpuTensor,
    gamma: GpuTensor,
    beta: GpuTensor,
    y: GpuTensor,
    mean: GpuTensor,
    rstd: GpuTensor,
    dy: GpuTensor,
    grads: [GpuTensor; 3],
}

/// Runs `record` (forward then backward) on random data shaped by `s` and compares y and
/// the three gradients with the reference.
fn check<S: NormLayout>(p: &mut Probe, s: &S, record: impl Fn(&Run) -> Vec<Dispatch>) {
    let (n, ch, pops) = (s.values(), s.channels(), s.populations());
    let (x, x_dev) = p.filled(&[n]);
    let (gamma, gamma_dev) = p.filled(&[ch]);
    let (beta, beta_dev) = p.filled(&[ch]);
    let (dy, dy_dev) = p.filled(&[n]);
    let run = Run {
        x: x_dev,
        gamma: gamma_dev,
        beta: beta_dev,
        y: p.zeros(&[n]),
        mean: p.zeros(&[pops]),
        rstd: p.zeros(&[pops]),
        dy: dy_dev,
        grads: [p.zeros(&[n]), p.zeros(&[ch]), p.zeros(&[ch])],
    };
    p.run(record(&run));
    let (y, mean, rstd) = norm_cpu(s, &x, &gamma, &beta);
    let (dx, dgamma, dbeta) = norm_backward_cpu(s, &x, &gamma, &mean, &rstd, &dy);
    // Population size: every output depends on sums over it.
    let m = n / pops;
    let per_channel = n / ch;
    let op = S::OP;
    p.check(&format!("{op} forward"), &run.y, &y, bound(m, 0.0));
    p.check(
        &format!("{op} backward x"),
        &run.grads[0],
        &dx,
        bound(m, 0.0),
    );
    let b = bound(per_channel, 0.0);
    p.check(&format!("{op} backward gamma"), &run.grads[1], &dgamma, b);
    p.check(&format!("{op} backward beta"), &run.grads[2], &dbeta, b);
}

/// Both widths of the kernels: f32 (hw = 63) and vec4 (hw = 32).
pub fn batchnorm(p: &mut Probe) {
    for hw in [7 * 9, 4 * 8] {
        batchnorm_at(p, BnShape { n: 3, c: 5, hw });
    }
}

fn batchnorm_at(p: &mut Probe, s: BnShape) {
    let running = [p.zeros(&[s.c]), p.gpu.upload(&vec![1.0; s.c], &[s.c])];
    let gpu = p.gpu;
    check(p, &s, |r| {
        let [dx, dg, db] = &r.grads;
        let saved = [&running[0], &running[1], &r.mean, &r.rstd];
        let mut ds = batchnorm_train(gpu, &s, &r.x, &r.gamma, &r.beta, saved, &r.y, BnOut::Plain);
        let stats = [&r.mean, &r.rstd];
        ds.extend(batchnorm_backward(
            gpu,
            &s,
            &r.x,
            &r.gamma,
            stats,
            &r.dy,
            None,
            [dx, dg, db],
        ));
        ds
    });
}

pub fn group_norm_family(p: &mut Probe) {
    let s = GnShape {
        n: 3,
        c: 6,
        hw: 5 * 7,
        groups: 3,
    };
    let gpu = p.gpu;
    check(p, &s, |r| {
        let [dx, dg, db] = &r.grads;
        let mut ds = group_norm(gpu, &s, &r.x, &r.gamma, &r.beta, &r.y, &r.mean, &r.rstd);
        ds.extend(group_norm_backward(
            gpu,
            &s,
            &r.x,
            &r.gamma,
            &r.mean,
            &r.rstd,
            &r.dy,
            Some(dx),
            dg,
            db,
        ));
        ds
    });
}

pub fn layer_norm_family(p: &mut Probe) {
    let s = LnShape { rows: 37, c: 19 };
    let gpu = p.gpu;
    check(p, &s, |r| {
        let [dx, dg, db] = &r.grads;
        let mut ds = vec![layer_norm(
            gpu, &s, &r.x, &r.gamma, &r.beta, &r.y, &r.mean, &r.rstd,
        )];
        ds.extend(layer_norm_backward(
            gpu,
            &s,
            &r.x,
            &r.gamma,
            &r.mean,
            &r.rstd,
            &r.dy,
            [dx, dg, db],
        ));
        ds
    });
}
