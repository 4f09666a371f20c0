//! Graph-level gradient checks share this: a tiny graph ending in an MSE loss is run once
//! (clears, forward, backward) and its gradients compared with finite differences of an f64
//! reference of the same loss.

use wgpu_ddpm::gpu::{Gpu, Program};
use wgpu_ddpm::model::graph::{Graph, Var};

/// A value with a gradient buffer, holding `data`.
pub fn param(g: &mut Graph, data: &[f32], shape: &[usize]) -> Var {
    let v = g.var(shape);
    g.gpu.write(&v.val, data);
    v
}

/// Finish the graph and run its clears, forward and backward programs once.
pub fn run_tape(gpu: &Gpu, g: Graph) {
    let t = g.finish();
    let mut p = Program::new();
    p.append(t.clear);
    p.append(t.forward);
    p.append(t.backward);
    p.run(gpu);
}

/// mean((y - t)^2) in f64: the loss of `Graph::mse`.
pub fn mse_f64(y: &[f64], t: &[f32]) -> f64 {
    y.iter()
        .zip(t)
        .map(|(y, t)| (y - *t as f64).powi(2))
        .sum::<f64>()
        / y.len() as f64
}
