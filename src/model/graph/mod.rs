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

mod ops;

use crate::gpu::{Gpu, GpuTensor, Program};

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

    /// The same values (and gradient) under another shape of the same element count.
    pub fn reshape(&self, x: &Var, shape: &[usize]) -> Var {
        assert_eq!(
            x.val.len(),
            shape.iter().product::<usize>(),
            "reshape {:?} to {shape:?} changes the element count",
            x.shape()
        );
        let view = |t: &GpuTensor| GpuTensor::new(t.buf.clone(), t.offset, shape);
        Var {
            val: view(&x.val),
            grad: x.grad.as_ref().map(view),
        }
    }
}
