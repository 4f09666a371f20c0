//! One training pass of a whole model, as the network tests check it: forward in train mode,
//! the MSE loss, and backward into freshly cleared gradients (`model.grads`).

use wgpu_ddpm::gpu::{Gpu, GpuTensor, Program};
use wgpu_ddpm::model::graph::{Graph, Var};
use wgpu_ddpm::model::network::Model;

/// `model` on `x` at timesteps `t` against `target`: returns the output and the loss; the
/// parameter gradients are in `model.grads` afterwards.
pub fn train_pass(
    gpu: &Gpu,
    model: &Model,
    x: GpuTensor,
    t: &GpuTensor,
    target: &GpuTensor,
) -> (Var, GpuTensor) {
    let mut g = Graph::new(gpu, true);
    let xin = g.input(x);
    let out = model.forward(&mut g, &xin, t);
    let loss = g.mse(&out, target);
    let tape = g.finish();
    let mut prog = Program::new();
    prog.clear(&model.layout.params.whole(&model.grads));
    prog.append(tape.clear);
    prog.append(tape.forward);
    prog.append(tape.backward);
    prog.run(gpu);
    (out, loss)
}
