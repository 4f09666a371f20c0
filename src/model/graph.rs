//! The autodiff tape. Building the network records its forward dispatches into `fwd` and,
//! in training mode, pushes one closure per op onto `tape`; [`Graph::finish`] returns the
//! forward program, the clears of the activation gradients, and the backward program (the
//! tape replayed in reverse). Everything is recorded once and replayed each step. Backward
//! kernels accumulate into gradient buffers, so a value used twice (the time embedding, the
//! skip connections) collects both gradients; every gradient buffer is zeroed with
//! `clear_buffer` at the start of a step.
//!
//! Inputs that need no gradient (graph inputs, the time embedding, anything in evaluation
//! mode) have `grad: None`, and backward skips their gradients: a launcher that computes
//! that gradient on its own is not recorded, and a fused kernel that writes it beside
//! gradients that are needed gets a scratch buffer instead (allocated, and cleared each
//! step, like the activation gradients).

mod classify;

use crate::gpu::{Gpu, GpuTensor, Program};
use crate::kernels::time_embedding::TimeEncoding;
use crate::kernels::{
    broadcast_add, concat, label_embedding, linear, maxpool, mse, time_embedding, upsample,
};

/// A value in the graph and (in training mode) its gradient buffer.
#[derive(Clone, Debug)]
pub struct Var {
    pub val: GpuTensor,
    pub grad: Option<GpuTensor>,
}

impl Var {
    pub fn shape(&self) -> &[usize] {
        &self.val.shape
    }

    pub(super) fn g(&self) -> GpuTensor {
        self.grad
            .clone()
            .expect("gradient buffer of a training-mode value")
    }
}

/// What a finished graph records: run `clear` (then the caller's own clears) before
/// `forward`, and `backward` after it. `clear` and `backward` are empty in evaluation mode.
pub struct Programs {
    pub forward: Program,
    /// Zeroes the activation gradients (and scratch gradients) accumulated by `backward`.
    pub clear: Program,
    pub backward: Program,
}

type BackwardFn = Box<dyn FnOnce(&Gpu, &mut Program)>;

pub struct Graph<'a> {
    pub gpu: &'a Gpu,
    pub train: bool,
    /// BatchNorm uses its running statistics (frozen) even with a tape: gradients through
    /// the sampler, which runs the network in evaluation mode (`Graph::frozen_bn`).
    pub frozen_bn: bool,
    pub(super) fwd: Program,
    tape: Vec<BackwardFn>,
    /// Activation gradients to zero at the start of each step.
    grads: Vec<GpuTensor>,
}

impl<'a> Graph<'a> {
    pub fn new(gpu: &'a Gpu, train: bool) -> Self {
        Self {
            gpu,
            train,
            frozen_bn: false,
            fwd: Program::new(),
            tape: Vec::new(),
            grads: Vec::new(),
        }
    }

    /// A graph with a tape whose BatchNorm layers run in evaluation mode (running statistics,
    /// not updated) and pass gradients through them as the per-channel affine map they are.
    pub fn frozen_bn(gpu: &'a Gpu) -> Self {
        Self {
            frozen_bn: true,
            ..Self::new(gpu, true)
        }
    }

    /// A fresh activation (and its gradient in training mode).
    pub fn var(&mut self, shape: &[usize]) -> Var {
        let val = self.gpu.zeros(shape);
        let grad = self.train.then(|| self.gpu.zeros(shape));
        if let Some(g) = &grad {
            self.grads.push(g.clone());
        }
        Var { val, grad }
    }

    /// An input that needs no gradient.
    pub fn input(&self, val: GpuTensor) -> Var {
        Var { val, grad: None }
    }

    pub(super) fn record(&mut self, f: impl FnOnce(&Gpu, &mut Program) + 'static) {
        if self.train {
            self.tape.push(Box::new(f));
        }
    }

    /// Where a fused backward kernel writes the gradient of `v`: its own buffer, or (when
    /// `v` needs none) a scratch buffer of the same shape, cleared with the activation
    /// gradients.
    pub(super) fn grad_or_scratch(&mut self, v: &Var) -> GpuTensor {
        match &v.grad {
            Some(g) => g.clone(),
            None => self.scratch_grad(v.shape()),
        }
    }

    /// A gradient buffer for a value that is never stored (a fused op's intermediate),
    /// cleared with the activation gradients.
    pub(super) fn scratch_grad(&mut self, shape: &[usize]) -> GpuTensor {
        let g = self.gpu.zeros(shape);
        self.grads.push(g.clone());
        g
    }

    /// The forward program, the clears of the activation gradients, and the tape replayed
    /// in reverse.
    pub fn finish(self) -> Programs {
        let mut clear = Program::new();
        for g in &self.grads {
            clear.clear(g);
        }
        let mut backward = Program::new();
        for f in self.tape.into_iter().rev() {
            f(self.gpu, &mut backward);
        }
        Programs {
            forward: self.fwd,
            clear,
            backward,
        }
    }

    /// The seed U-Net's sinusoidal embedding of the timesteps `t` (u32 [n]) as an [n, dim]
    /// value; it has no gradient.
    pub fn time_embedding(&mut self, n: usize, t: &GpuTensor, dim: usize) -> Var {
        self.time_encoding(n, t, dim, TimeEncoding::Interleaved)
    }

    /// The time input `enc` of the timesteps `t` (u32 [n]) as an [n, dim] value; it has no
    /// gradient.
    pub fn time_encoding(&mut self, n: usize, t: &GpuTensor, dim: usize, enc: TimeEncoding) -> Var {
        let out = self.input(self.gpu.zeros(&[n, dim]));
        self.fwd.push(time_embedding::time_encoding(
            self.gpu, enc, n, dim, t, &out.val,
        ));
        out
    }

    /// y = x w^T + b over the last dimension of x (rank >= 2; the leading dimensions are
    /// rows): [.., k] -> [.., n].
    pub fn linear(&mut self, x: &Var, w: &Var, b: &Var) -> Var {
        let mut shape = x.shape().to_vec();
        if let Some(last) = shape.last_mut() {
            *last = w.shape()[0];
        }
        let y = self.var(&shape);
        self.fwd
            .push(linear::linear(self.gpu, &x.val, &w.val, &b.val, &y.val));
        let (x, w, b, yg) = (x.clone(), w.clone(), b.clone(), y.grad.clone());
        self.record(move |gpu, p| {
            let dy = yg.unwrap();
            if let Some(dx) = &x.grad {
                p.push(linear::linear_backward_input(gpu, &w.val, &dy, dx));
            }
            p.push(linear::linear_backward_params(
                gpu,
                &x.val,
                &dy,
                &w.g(),
                &b.g(),
            ));
        });
        y
    }

    /// y[n, c, :, :] = x[n, c, :, :] + v[n, c]
    pub fn broadcast_add(&mut self, x: &Var, v: &Var) -> Var {
        let s = x.shape().to_vec();
        let (n, c, hw) = (s[0], s[1], s[2] * s[3]);
        let y = self.var(&s);
        self.fwd.push(broadcast_add::broadcast_add(
            self.gpu, n, c, hw, &x.val, &v.val, &y.val,
        ));
        if self.train && (x.grad.is_some() || v.grad.is_some()) {
            // One kernel writes both gradients.
            let (dx, dv) = (self.grad_or_scratch(x), self.grad_or_scratch(v));
            let yg = y.grad.clone();
            self.record(move |gpu, p| {
                let ds =
                    broadcast_add::broadcast_add_backward(gpu, n, c, hw, &yg.unwrap(), &dx, &dv);
                p.extend(ds);
            });
        }
        y
    }

    pub fn maxpool(&mut self, x: &Var) -> Var {
        let s = x.shape();
        let small = [s[0], s[1], s[2] / 2, s[3] / 2];
        self.unary(x, &small, maxpool::maxpool, maxpool::maxpool_backward)
    }

    /// Bilinear x2 upsampling, align_corners = false (the seed U-Net).
    pub fn upsample(&mut self, x: &Var) -> Var {
        self.upsample_with(x, false)
    }

    /// Bilinear x2 upsampling with PyTorch's `align_corners`.
    pub fn upsample_with(&mut self, x: &Var, align_corners: bool) -> Var {
        let s = x.shape();
        let y = self.var(&[s[0], s[1], s[2] * 2, s[3] * 2]);
        self.fwd.push(upsample::upsample_with(
            self.gpu,
            &x.val,
            &y.val,
            align_corners,
        ));
        let yg = y.grad.clone();
        if let Some(dx) = x.grad.clone() {
            self.record(move |gpu, p| {
                p.push(upsample::upsample_backward_with(
                    gpu,
                    &yg.unwrap(),
                    &dx,
                    align_corners,
                ))
            });
        }
        y
    }

    /// Channel concat: [a, b] along C.
    pub fn concat(&mut self, a: &Var, b: &Var) -> Var {
        let mut shape = a.shape().to_vec();
        shape[1] += b.shape()[1];
        let y = self.var(&shape);
        self.fwd
            .push(concat::concat(self.gpu, &a.val, &b.val, &y.val));
        if self.train && (a.grad.is_some() || b.grad.is_some()) {
            // One kernel writes both gradients.
            let (da, db) = (self.grad_or_scratch(a), self.grad_or_scratch(b));
            let yg = y.grad.clone();
            self.record(move |gpu, p| p.push(concat::concat_backward(gpu, &yg.unwrap(), &da, &db)));
        }
        y
    }

    /// temb + table[y]: the class label joins the time embedding (y is u32 [n]).
    pub fn label_embedding(&mut self, temb: &Var, y: &GpuTensor, table: &Var) -> Var {
        let (n, d) = (temb.shape()[0], temb.shape()[1]);
        let out = self.var(&[n, d]);
        self.fwd.push(label_embedding::label_embedding(
            self.gpu, n, d, &temb.val, y, &table.val, &out.val,
        ));
        if self.train && (temb.grad.is_some() || table.grad.is_some()) {
            // One kernel writes both gradients.
            let (dtemb, dtable) = (self.grad_or_scratch(temb), self.grad_or_scratch(table));
            let (y, og) = (y.clone(), out.grad.clone());
            self.record(move |gpu, p| {
                p.push(label_embedding::label_embedding_backward(
                    gpu,
                    n,
                    d,
                    &y,
                    &og.unwrap(),
                    &dtemb,
                    &dtable,
                ))
            });
        }
        out
    }

    /// Mean squared error into a 1-element tensor; its backward seeds the tape (dL/dL = 1).
    pub fn mse(&mut self, pred: &Var, target: &GpuTensor) -> GpuTensor {
        self.mse_over(pred, target, pred.val.len())
    }

    /// The mean square error of `pred`, whose gradient is that of a mean over `mean_over`
    /// elements (a micro-batch's share of an accumulated batch's loss).
    pub fn mse_over(&mut self, pred: &Var, target: &GpuTensor, mean_over: usize) -> GpuTensor {
        self.mse_weighted_over(pred, target, None, mean_over)
    }

    /// As `mse_over`, with each image's squares scaled by its weight in `w` (f32 [n], the
    /// min-SNR weights) when given.
    pub fn mse_weighted_over(
        &mut self,
        pred: &Var,
        target: &GpuTensor,
        w: Option<&GpuTensor>,
        mean_over: usize,
    ) -> GpuTensor {
        let loss = self.gpu.zeros(&[1]);
        self.fwd.extend(match w {
            None => mse::mse(self.gpu, &pred.val, target, &loss),
            Some(w) => mse::mse_weighted(self.gpu, &pred.val, target, w, &loss),
        });
        let (pred, target, w) = (pred.clone(), target.clone(), w.cloned());
        if let Some(dpred) = pred.grad.clone() {
            self.record(move |gpu, p| {
                p.push(match &w {
                    None => mse::mse_backward_over(gpu, &pred.val, &target, &dpred, mean_over),
                    Some(w) => mse::mse_backward_weighted_over(
                        gpu, &pred.val, &target, w, &dpred, mean_over,
                    ),
                })
            });
        }
        loss
    }
}
