//! The backward checks every elementwise activation (gelu, silu) runs the same way: the
//! kernel accumulates its CPU reference into dx, matches central differences of its f64
//! forward, and so does its graph op inside a tiny MSE graph.

use wgpu_ddpm::gpu::{Dispatch, Gpu, GpuTensor};
use wgpu_ddpm::model::graph::{Graph, Var};

use crate::common::tol::{assert_within, U};
use crate::common::*;
use crate::elementwise_support::*;
use crate::tape::{mse_f64, param, run_tape};

/// An activation's launchers and references.
pub struct Activation {
    pub name: &'static str,
    pub backward: fn(&Gpu, &GpuTensor, &GpuTensor, &GpuTensor) -> Dispatch,
    pub backward_cpu: fn(&[f32], &[f32]) -> Vec<f32>,
    pub f64: fn(f64) -> f64,
    pub graph: fn(&mut Graph, &Var) -> Var,
}

/// x = `scale` N(0, 1) over n values, `special` values first.
fn inputs(rng: &mut HostRng, n: usize, scale: f32, special: &[f32]) -> Vec<f32> {
    let mut x: Vec<f32> = rng.vec_normal(n).iter().map(|v| scale * v).collect();
    x[..special.len()].copy_from_slice(special);
    x
}

/// dx0 + backward(x, dy) against dx0 + the CPU reference, within `fresh_err(x, dy)` (how far
/// the kernel's fresh gradient may lie from the exact one) plus the add's rounding and the
/// reference's two (the fresh gradient, the add).
pub fn backward_within(
    a: &Activation,
    seed: u64,
    scale: f32,
    special: &[f32],
    fresh_err: fn(f32, f32) -> f64,
) {
    let gpu = gpu();
    let mut rng = HostRng::new(seed);
    // An odd length (one value per invocation) and a multiple of 4 (`main_vec4`).
    for n in [3 * 5 * 7 * 9, 4 * 5 * 7 * 9] {
        let x = Filled::new(inputs(&mut rng, n, scale, special), &[n]);
        let [dy, dx] = [(); 2].map(|_| Filled::normal(&mut rng, &[n]));
        run(&gpu, [(a.backward)(&gpu, &x.dev, &dy.dev, &dx.dev)]);
        let fresh = (a.backward_cpu)(&x.host, &dy.host);
        let want: Vec<f32> = dx.host.iter().zip(&fresh).map(|(a, b)| a + b).collect();
        let bounds: Vec<f64> = (0..n)
            .map(|i| {
                let e = fresh_err(x.host[i], dy.host[i]);
                let mag = fresh[i].abs() as f64 + e + dx.host[i].abs() as f64;
                e + U * fresh[i].abs() as f64 + 2.0 * U * mag
            })
            .collect();
        assert_within(
            &format!("{}_backward", a.name),
            &read(&dx.dev),
            &want,
            &bounds,
        );
    }
}

/// L = sum(w * act(x)); dL/dx from the GPU backward vs central differences in f64.
pub fn backward_finite_difference(a: &Activation, seed: u64, scale: f32) {
    let gpu = gpu();
    let mut rng = HostRng::new(seed);
    let n = 37;
    let x = Filled::new(inputs(&mut rng, n, scale, &[]), &[n]);
    let w = Filled::normal(&mut rng, &[n]);
    let dxg = gpu.zeros(&[n]);
    run(&gpu, [(a.backward)(&gpu, &x.dev, &w.dev, &dxg)]);
    let loss =
        |xs: &[f64]| weighted_sum(&xs.iter().map(|x| (a.f64)(*x)).collect::<Vec<_>>(), &w.host);
    let (what, x64) = (format!("{} fd", a.name), f64s(&x.host));
    fd_check(&what, &gpu.read(&dxg), &x64, 1e-4, loss, 1e-5, 1e-4);
}

/// The graph op's input gradient under an MSE loss vs central differences in f64.
pub fn graph_gradient(a: &Activation, seed: u64, scale: f32) {
    let gpu = gpu();
    let mut rng = HostRng::new(seed);
    let sh = [3usize, 5, 7];
    let n = 105;
    let x = inputs(&mut rng, n, scale, &[]);
    let target = rng.vec_normal(n);
    let mut g = Graph::new(&gpu, true);
    let xv = param(&mut g, &x, &sh);
    let y = (a.graph)(&mut g, &xv);
    g.mse(&y, &upload(&gpu, &target, &sh));
    run_tape(&gpu, g);
    let loss = |xs: &[f64]| mse_f64(&xs.iter().map(|v| (a.f64)(*v)).collect::<Vec<_>>(), &target);
    // Gradients of a mean over 105 values: O(0.01).
    let got = gpu.read(xv.grad.as_ref().unwrap());
    let what = format!("graph {} dx", a.name);
    fd_check(&what, &got, &f64s(&x), 1e-4, loss, 1e-6, 1e-4);
}
