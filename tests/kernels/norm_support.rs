//! The GPU side of the norm tests (batchnorm in training mode, batchnorm_relu, group_norm,
//! layer_norm): one trait over their launchers, a forward that saves each population's mean
//! and rstd and a backward from them, the runs the tests share, and the three-gradient checks
//! whose tolerances each test passes.

use wgpu_ddpm::gpu::{Dispatch, Gpu, GpuTensor};
use wgpu_ddpm::kernels::batchnorm::{
    batchnorm_backward, batchnorm_eval, batchnorm_train, BnOut, BnShape,
};
use wgpu_ddpm::kernels::group_norm::{group_norm, group_norm_backward, GnShape};
use wgpu_ddpm::kernels::layer_norm::{layer_norm, layer_norm_backward, LnShape};
use wgpu_ddpm::kernels::norm_reference::{norm_cpu, NormLayout};

use crate::common::*;

type Ins3<'a> = [&'a GpuTensor; 3];
type Ins5<'a> = [&'a GpuTensor; 5];

/// A norm's forward and backward launchers, recorded against the same saved statistics.
pub trait GpuNorm {
    type Layout: NormLayout;
    fn layout(&self) -> &Self::Layout;
    /// From x, gamma, beta; overwrites y and the saved mean and rstd (batchnorm's invstd).
    fn forward(&self, gpu: &Gpu, xgb: Ins3, saved: Ins3) -> Vec<Dispatch>;
    /// From x, gamma, the saved mean and rstd, and dy; accumulates into `grads` (dx, dgamma,
    /// dbeta). `y` is the forward's output, there when the forward ran; only a fused
    /// activation's backward reads it.
    fn backward(&self, gpu: &Gpu, ins: Ins5, y: Option<&GpuTensor>, grads: Ins3) -> Vec<Dispatch>;
}

impl GpuNorm for GnShape {
    type Layout = GnShape;
    fn layout(&self) -> &GnShape {
        self
    }
    fn forward(&self, gpu: &Gpu, [x, g, b]: Ins3, [y, m, r]: Ins3) -> Vec<Dispatch> {
        group_norm(gpu, self, x, g, b, y, m, r)
    }
    fn backward(&self, gpu: &Gpu, ins: Ins5, _: Option<&GpuTensor>, grads: Ins3) -> Vec<Dispatch> {
        let ([x, g, m, r, dy], [dx, dg, db]) = (ins, grads);
        group_norm_backward(gpu, self, x, g, m, r, dy, Some(dx), dg, db)
    }
}

impl GpuNorm for LnShape {
    type Layout = LnShape;
    fn layout(&self) -> &LnShape {
        self
    }
    fn forward(&self, gpu: &Gpu, [x, g, b]: Ins3, [y, m, r]: Ins3) -> Vec<Dispatch> {
        vec![layer_norm(gpu, self, x, g, b, y, m, r)]
    }
    fn backward(&self, gpu: &Gpu, ins: Ins5, _: Option<&GpuTensor>, grads: Ins3) -> Vec<Dispatch> {
        let [x, g, m, r, dy] = ins;
        layer_norm_backward(gpu, self, x, g, m, r, dy, grads)
    }
}

/// BatchNorm in training mode with its running statistics (updated by each forward) and what
/// the normalising pass writes.
pub struct BnTrain {
    pub s: BnShape,
    pub out: BnOut,
    /// running_mean, running_var.
    pub running: [GpuTensor; 2],
}

impl BnTrain {
    /// Running statistics starting at PyTorch's 0 and 1.
    pub fn new(s: BnShape, out: BnOut) -> Self {
        Self::with_running(s, out, &vec![0.0; s.c], &vec![1.0; s.c])
    }

    pub fn with_running(s: BnShape, out: BnOut, mean: &[f32], var: &[f32]) -> Self {
        let gpu = gpu();
        let running = [upload(&gpu, mean, &[s.c]), upload(&gpu, var, &[s.c])];
        BnTrain { s, out, running }
    }

    /// Eval mode with the running statistics, into an output prefilled with garbage.
    pub fn eval(&self, x: &[f32], gamma: &[f32], beta: &[f32]) -> Vec<f32> {
        let gpu = gpu();
        let t = |v: &[f32]| upload(&gpu, v, &[v.len()]);
        let y = t(&vec![7.0; self.s.len()]);
        let [rm, rv] = &self.running;
        let (x, gamma, beta) = (t(x), t(gamma), t(beta));
        let eval = batchnorm_eval(&gpu, &self.s, &x, &gamma, &beta, [rm, rv], &y, self.out);
        run(&gpu, [eval]);
        gpu.read(&y)
    }
}

impl GpuNorm for BnTrain {
    type Layout = BnShape;
    fn layout(&self) -> &BnShape {
        &self.s
    }
    fn forward(&self, gpu: &Gpu, [x, g, b]: Ins3, [y, m, r]: Ins3) -> Vec<Dispatch> {
        let [rm, rv] = &self.running;
        batchnorm_train(gpu, &self.s, x, g, b, [rm, rv, m, r], y, self.out)
    }
    fn backward(&self, gpu: &Gpu, ins: Ins5, y: Option<&GpuTensor>, grads: Ins3) -> Vec<Dispatch> {
        let [x, g, m, r, dy] = ins;
        let relu_out = match self.out {
            BnOut::Plain => None,
            BnOut::Relu => Some(y.expect("the fused ReLU's backward reads the forward's y")),
        };
        batchnorm_backward(gpu, &self.s, x, g, [m, r], dy, relu_out, grads)
    }
}

/// What a forward wrote: y and the saved mean and rstd (batchnorm's invstd).
pub struct Fwd {
    pub y: Vec<f32>,
    pub mean: Vec<f32>,
    pub rstd: Vec<f32>,
}

/// The forward into outputs prefilled with garbage, which proves they are overwritten.
pub fn gpu_forward<N: GpuNorm>(s: &N, x: &[f32], gamma: &[f32], beta: &[f32]) -> Fwd {
    let gpu = gpu();
    let t = |v: &[f32]| upload(&gpu, v, &[v.len()]);
    let l = s.layout();
    let y = t(&vec![7.0; l.values()]);
    let (mean, rstd) = (
        t(&vec![7.0; l.populations()]),
        t(&vec![7.0; l.populations()]),
    );
    run(
        &gpu,
        s.forward(&gpu, [&t(x), &t(gamma), &t(beta)], [&y, &mean, &rstd]),
    );
    Fwd {
        y: gpu.read(&y),
        mean: gpu.read(&mean),
        rstd: gpu.read(&rstd),
    }
}

/// The backward alone from x, gamma, mean and rstd (as the forward would have saved them)
/// and dy, into `grads`.
pub fn gpu_backward<N: GpuNorm>(s: &N, ins: [&[f32]; 5], grads: Ins3) {
    let gpu = gpu();
    let ins = ins.map(|v| upload(&gpu, v, &[v.len()]));
    run(&gpu, s.backward(&gpu, ins.each_ref(), None, grads));
}

/// The forward on x, gamma, beta, then in the same submission the backward from `dy` into
/// `grads`; returns the forward's y, mean and rstd.
pub fn forward_backward<N: GpuNorm>(
    s: &N,
    [x, gamma, beta]: [&[f32]; 3],
    dy: &[f32],
    grads: Ins3,
) -> [GpuTensor; 3] {
    let gpu = gpu();
    let t = |v: &[f32]| upload(&gpu, v, &[v.len()]);
    let l = s.layout();
    let (xg, gg, dyg) = (t(x), t(gamma), t(dy));
    let y = gpu.zeros(&[l.values()]);
    let (mean, rstd) = (gpu.zeros(&[l.populations()]), gpu.zeros(&[l.populations()]));
    let mut ds = s.forward(&gpu, [&xg, &gg, &t(beta)], [&y, &mean, &rstd]);
    ds.extend(s.backward(&gpu, [&xg, &gg, &mean, &rstd, &dyg], Some(&y), grads));
    run(&gpu, ds);
    [y, mean, rstd]
}

/// The gradients (dx, dgamma, dbeta) of the forward and then the backward from `dy` into
/// zeroed buffers.
pub fn gradients<N: GpuNorm>(s: &N, xgb: [&[f32]; 3], dy: &[f32]) -> [Vec<f32>; 3] {
    let grads = Grads::zeros(s.layout());
    forward_backward(s, xgb, dy, grads.refs());
    grads.read()
}

/// Gradient buffers (dx, dgamma, dbeta) for a layout, with what they held before a backward.
pub struct Grads {
    pub before: [Vec<f32>; 3],
    pub bufs: [GpuTensor; 3],
}

impl Grads {
    /// Prefilled with normal values (dx, then dgamma, then dbeta), for the accumulate check.
    pub fn random(rng: &mut HostRng, l: &impl NormLayout) -> Self {
        let (len, c) = (l.values(), l.channels());
        Self::holding([rng.vec_normal(len), rng.vec_normal(c), rng.vec_normal(c)])
    }

    pub fn zeros(l: &impl NormLayout) -> Self {
        let (len, c) = (l.values(), l.channels());
        Self::holding([vec![0.0; len], vec![0.0; c], vec![0.0; c]])
    }

    fn holding(before: [Vec<f32>; 3]) -> Self {
        let gpu = gpu();
        let bufs = before.each_ref().map(|v| upload(&gpu, v, &[v.len()]));
        Grads { before, bufs }
    }

    pub fn refs(&self) -> Ins3<'_> {
        self.bufs.each_ref()
    }

    pub fn read(&self) -> [Vec<f32>; 3] {
        let gpu = gpu();
        self.bufs.each_ref().map(|b| gpu.read(b))
    }
}

/// `len` values offset + scale * normal: an offset mean stresses the shifted variance.
pub fn offset_normal(rng: &mut HostRng, len: usize, offset: f32, scale: f32) -> Vec<f32> {
    let v = rng.vec_normal(len);
    v.iter().map(|v| offset + scale * v).collect()
}

/// The inputs of a forward check: x = 3 + 2 * normal, gamma in [0.5, 1.5], beta normal.
pub fn forward_inputs(rng: &mut HostRng, l: &impl NormLayout) -> [Vec<f32>; 3] {
    let x = offset_normal(rng, l.values(), 3.0, 2.0);
    let gamma = rng.vec_uniform(l.channels(), 0.5, 1.5);
    [x, gamma, rng.vec_normal(l.channels())]
}

/// The inputs of a finite-difference check: x, gamma in [0.5, 1.5], beta and the weights r
/// of the loss, all normal but gamma.
pub fn fd_inputs(rng: &mut HostRng, l: &impl NormLayout) -> [Vec<f32>; 4] {
    let x = rng.vec_normal(l.values());
    let gamma = rng.vec_uniform(l.channels(), 0.5, 1.5);
    let beta = rng.vec_normal(l.channels());
    [x, gamma, beta, rng.vec_normal(l.values())]
}

/// L = sum(r * y) in f64, the loss whose gradient the backward from dy = r computes.
pub fn weighted_sum(y: &[f64], r: &[f32]) -> f64 {
    y.iter().zip(r).map(|(y, r)| y * *r as f64).sum()
}

/// One "backward matches the CPU and accumulates" case: its inputs and the gradient buffers
/// before and after the GPU backward.
pub struct BackwardCase {
    pub x: Vec<f32>,
    pub gamma: Vec<f32>,
    pub mean: Vec<f32>,
    pub rstd: Vec<f32>,
    pub dy: Vec<f32>,
    pub before: [Vec<f32>; 3],
    pub got: [Vec<f32>; 3],
}

/// Draws x = 1 + 1.5 * normal, gamma in [0.5, 1.5], dy and prefilled gradients (in that
/// order), takes mean and rstd from the CPU forward and runs the GPU backward alone.
pub fn backward_case<N: GpuNorm>(rng: &mut HostRng, s: &N) -> BackwardCase {
    let l = s.layout();
    let x = offset_normal(rng, l.values(), 1.0, 1.5);
    let gamma = rng.vec_uniform(l.channels(), 0.5, 1.5);
    let (_, mean, rstd) = norm_cpu(l, &x, &gamma, &vec![0.0; l.channels()]);
    let dy = rng.vec_normal(l.values());
    let grads = Grads::random(rng, l);
    gpu_backward(s, [&x, &gamma, &mean, &rstd, &dy], grads.refs());
    let got = grads.read();
    let before = grads.before;
    BackwardCase {
        x,
        gamma,
        mean,
        rstd,
        dy,
        before,
        got,
    }
}

/// Each gradient buffer (dx, dgamma, dbeta, labelled "{what} dx" ...) holds what it held
/// `before` plus the reference gradient in `want`, within its [atol, rtol].
#[track_caller]
pub fn assert_grads_accumulate(
    what: &str,
    got: &[Vec<f32>; 3],
    before: &[Vec<f32>; 3],
    want: [&[f32]; 3],
    tol: [[f32; 2]; 3],
) {
    for (i, name) in ["dx", "dgamma", "dbeta"].into_iter().enumerate() {
        let [atol, rtol] = tol[i];
        let label = format!("{what} {name}");
        assert_accumulates(&label, &got[i], &before[i], want[i], atol, rtol);
    }
}

/// Each of a norm's gradients in `got` (dx, then dgamma and dbeta where given; labelled
/// "{what} dx" ...) against central differences, step `eps`, of `loss(x, gamma, beta)` in
/// that input at `at`, within [atol, rtol].
#[track_caller]
pub fn fd_check_grads(
    what: &str,
    got: &[Vec<f32>],
    at: [&[f32]; 3],
    loss: impl Fn(&[f64], &[f64], &[f64]) -> f64,
    eps: f64,
    [atol, rtol]: [f32; 2],
) {
    assert!(
        matches!(got.len(), 1 | 3),
        "{what}: dx alone or all three gradients"
    );
    let [x, g, b] = at.map(f64s);
    let label = |name: &str| format!("{what} {name}");
    fd_check(
        &label("dx"),
        &got[0],
        &x,
        eps,
        |v| loss(v, &g, &b),
        atol,
        rtol,
    );
    if let [_, dg, db] = got {
        fd_check(
            &label("dgamma"),
            dg,
            &g,
            eps,
            |v| loss(&x, v, &b),
            atol,
            rtol,
        );
        fd_check(
            &label("dbeta"),
            db,
            &b,
            eps,
            |v| loss(&x, &g, v),
            atol,
            rtol,
        );
    }
}
