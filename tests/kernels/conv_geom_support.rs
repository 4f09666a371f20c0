//! The checks shared by conv2d_geom.rs and conv_transpose2d.rs: forward, backward (with the
//! accumulate check) and a graph-level finite-difference check, each against the op's CPU
//! reference and on both kernel paths (`conv2d::paths`).

use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::conv2d::{GatherPlan, GeneralConv};
use wgpu_ddpm::model::graph::{Graph, Var};

use crate::common::tol::{abs, accumulate_bounds, assert_within, reduction_bounds};
use crate::common::*;
use crate::conv2d::paths;

/// One convolution geometry, as the generic checks see it: the launchers are the op's
/// (`GatherPlan`, `GeneralConv`); each test file's impl states the layouts (from the fields,
/// independent of the op's own `dims`), the references and the graph op.
pub trait GeomOp: GeneralConv {
    fn x_shape(&self) -> [usize; 4];
    fn w_shape(&self) -> [usize; 4];
    fn y_shape(&self) -> [usize; 4];
    fn cout(&self) -> usize;
    /// Inputs summed into one output (sets the weight scale).
    fn fan_in(&self) -> usize;
    fn cpu(&self, x: &[f32], w: &[f32], b: Option<&[f32]>) -> Vec<f32>;
    fn cpu_backward(&self, x: &[f32], w: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>);
    fn graph(&self, g: &mut Graph, x: &Var, w: &Var, b: Option<&Var>) -> Var;
}

/// `check` on each of `shapes`, the i-th with seed `seed + i`.
pub fn each<O: GeomOp>(shapes: &[O], seed: u64, check: impl Fn(&O, u64)) {
    for (i, s) in shapes.iter().enumerate() {
        check(s, seed + i as u64);
    }
}

fn len(s: [usize; 4]) -> usize {
    s.iter().product()
}

/// The most products one output sums: every input channel times the k*k taps (the weights
/// of one output channel).
fn terms_y(op: &impl GeomOp) -> usize {
    len(op.w_shape()) / op.cout()
}

/// Random x (unit normal), w scaled by 1/sqrt(fan_in) so outputs stay O(1), b small.
fn data(rng: &mut HostRng, op: &impl GeomOp) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let scale = 1.0 / (op.fan_in() as f32).sqrt();
    let x = rng.vec_normal(len(op.x_shape()));
    let w = rng
        .vec_normal(len(op.w_shape()))
        .iter()
        .map(|v| v * scale)
        .collect();
    let b = rng.vec_normal(op.cout()).iter().map(|v| 0.1 * v).collect();
    (x, w, b)
}

/// y against the reference, with and without bias, on both paths.
pub fn check_forward(op: &impl GeomOp, seed: u64) {
    for gpu in paths() {
        for bias in [true, false] {
            let mut rng = HostRng::new(seed);
            let (x, w, b) = data(&mut rng, op);
            let xg = upload(&gpu, &x, &op.x_shape());
            let wg = upload(&gpu, &w, &op.w_shape());
            let bg = upload(&gpu, &b, &[op.cout()]);
            // Garbage in y: the kernel must overwrite every element.
            let yg = upload(&gpu, &rng.vec_normal(len(op.y_shape())), &op.y_shape());
            let bgo = bias.then_some(&bg);
            let plan = GatherPlan::new(&gpu, op, false);
            run(&gpu, plan.forward(&gpu, &xg, &wg, bgo, &yg));
            let want = op.cpu(&x, &w, bias.then_some(&b[..]));
            let babs = abs(&b);
            let mag = op.cpu(&abs(&x), &abs(&w), bias.then_some(&babs[..]));
            let what = format!("{op:?} forward bias={bias} ({:?})", gpu.spread);
            let bounds = reduction_bounds(terms_y(op) + 1, &mag);
            assert_within(&what, &gpu.read(&yg), &want, &bounds);
        }
    }
}

/// dx, dw, db against the reference, added onto random prefills (accumulate), on both paths.
pub fn check_backward(op: &impl GeomOp, seed: u64) {
    for gpu in paths() {
        let mut rng = HostRng::new(seed);
        let (x, w, _) = data(&mut rng, op);
        let dy = rng.vec_normal(len(op.y_shape()));
        let (dx0, dw0, db0) = (
            rng.vec_normal(x.len()),
            rng.vec_normal(w.len()),
            rng.vec_normal(op.cout()),
        );
        let xg = upload(&gpu, &x, &[x.len()]);
        let wg = upload(&gpu, &w, &[w.len()]);
        let dyg = upload(&gpu, &dy, &[dy.len()]);
        let dxg = upload(&gpu, &dx0, &[x.len()]);
        let dwg = upload(&gpu, &dw0, &[w.len()]);
        let dbg = upload(&gpu, &db0, &[op.cout()]);
        let mut ds = op.backward_input(&gpu, &wg, &dyg, &dxg);
        ds.extend(op.backward_weight(&gpu, &xg, &dyg, &dwg, Some(&dbg)));
        run(&gpu, ds);
        let (dx, dw, db) = op.cpu_backward(&x, &w, &dy);
        let (mx, mw, mb) = op.cpu_backward(&abs(&x), &abs(&w), &abs(&dy));
        let tag = |t: &str| format!("{op:?} {t} ({:?})", gpu.spread);
        let add = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(a, b)| a + b).collect::<Vec<_>>();
        let n_dx = len(op.w_shape()) / op.x_shape()[1];
        let n_dw = len(op.y_shape()) / op.cout();
        for (t, got, before, fresh, mag, n) in [
            ("dx", &dxg, &dx0, &dx, &mx, n_dx),
            ("dw", &dwg, &dw0, &dw, &mw, n_dw),
            ("db", &dbg, &db0, &db, &mb, n_dw),
        ] {
            let bounds = accumulate_bounds(n, mag, before);
            assert_within(&tag(t), &gpu.read(got), &add(before, fresh), &bounds);
        }
    }
}

/// The graph op on a tiny shape: L = sum(r * op(x, w, b)); dx, dw, db from the tape against
/// central differences of L. w and b carry prefilled gradients (they must accumulate); with
/// `x_grad` false x has no gradient buffer and the tape must not need one.
pub fn check_graph(op: &impl GeomOp, seed: u64, bias: bool, x_grad: bool) {
    for gpu in paths() {
        let mut rng = HostRng::new(seed);
        let (x, w, b) = data(&mut rng, op);
        let r = rng.vec_normal(len(op.y_shape()));
        let (dw0, db0) = (rng.vec_normal(w.len()), rng.vec_normal(b.len()));
        let var = |v: &[f32], shape: &[usize], g: Option<&[f32]>| Var {
            val: gpu.upload(v, shape),
            grad: g.map(|g| gpu.upload(g, shape)),
        };
        let zeros = vec![0.0; x.len()];
        let xv = var(&x, &op.x_shape(), x_grad.then_some(&zeros[..]));
        let wv = var(&w, &op.w_shape(), Some(&dw0));
        let bv = var(&b, &[b.len()], Some(&db0));
        let mut g = Graph::new(&gpu, true);
        let y = op.graph(&mut g, &xv, &wv, bias.then_some(&bv));
        assert_eq!(y.shape(), &op.y_shape()[..], "{op:?}: graph output shape");
        let tape = g.finish();
        let mut fwd = Program::new();
        fwd.append(tape.clear);
        fwd.append(tape.forward);
        fwd.run(&gpu);
        gpu.write(y.grad.as_ref().unwrap(), &r);
        tape.backward.run(&gpu);

        let bias_of = |bs: &[f64]| bias.then(|| bs.iter().map(|v| *v as f32).collect::<Vec<_>>());
        let loss = |xs: &[f64], ws: &[f64], bs: &[f64]| -> f64 {
            let f = |v: &[f64]| v.iter().map(|a| *a as f32).collect::<Vec<f32>>();
            let y = op.cpu(&f(xs), &f(ws), bias_of(bs).as_deref());
            y.iter().zip(&r).map(|(y, r)| *y as f64 * *r as f64).sum()
        };
        // L is linear in each coordinate, so a central difference is exact at any step; a
        // large step keeps the f32 rounding of the reference's output negligible beside it.
        let eps = 0.25;
        let (xd, wd, bd) = (f64s(&x), f64s(&w), f64s(&b));
        let tag = |t: &str| format!("{op:?} graph {t} bias={bias} ({:?})", gpu.spread);
        let fdw: Vec<f32> = finite_diff(&wd, eps, |ws| loss(&xd, ws, &bd))
            .iter()
            .map(|v| *v as f32)
            .collect();
        assert_accumulates(
            &tag("dw"),
            &gpu.read(wv.grad.as_ref().unwrap()),
            &dw0,
            &fdw,
            1e-3,
            1e-3,
        );
        if bias {
            let fdb: Vec<f32> = finite_diff(&bd, eps, |bs| loss(&xd, &wd, bs))
                .iter()
                .map(|v| *v as f32)
                .collect();
            let db = gpu.read(bv.grad.as_ref().unwrap());
            assert_accumulates(&tag("db"), &db, &db0, &fdb, 1e-3, 1e-3);
        }
        if x_grad {
            let got = gpu.read(xv.grad.as_ref().unwrap());
            fd_check(
                &tag("dx"),
                &got,
                &xd,
                eps,
                |xs| loss(xs, &wd, &bd),
                1e-3,
                1e-3,
            );
        }
    }
}
