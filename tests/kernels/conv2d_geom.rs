//! Conv2d of general geometry (kernels::conv2d::geometry) and the graph op `conv2d_strided`.

use wgpu_ddpm::kernels::conv2d::*;
use wgpu_ddpm::model::graph::{Graph, Var};

use crate::conv_geom_support::*;

impl GeomOp for Conv2dGeom {
    fn x_shape(&self) -> [usize; 4] {
        [self.n, self.cin, self.h, self.w]
    }
    fn w_shape(&self) -> [usize; 4] {
        [self.cout, self.cin, self.k, self.k]
    }
    fn y_shape(&self) -> [usize; 4] {
        [self.n, self.cout, self.out_h(), self.out_w()]
    }
    fn cout(&self) -> usize {
        self.cout
    }
    fn fan_in(&self) -> usize {
        self.cin * self.k * self.k
    }
    fn cpu(&self, x: &[f32], w: &[f32], b: Option<&[f32]>) -> Vec<f32> {
        conv2d_geom_cpu(self, x, w, b)
    }
    fn cpu_backward(&self, x: &[f32], w: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        conv2d_geom_backward_cpu(self, x, w, dy)
    }
    fn graph(&self, g: &mut Graph, x: &Var, w: &Var, b: Option<&Var>) -> Var {
        g.conv2d_strided(x, w, b, self.stride, self.pad)
    }
}

/// Odd geometries: every stride 1..4, k 1..7, paddings 0..k-1, rectangular, odd channels.
fn odd_shapes() -> Vec<Conv2dGeom> {
    vec![
        Conv2dGeom::new([3, 5, 7, 11, 9, 5], 3, 2),
        Conv2dGeom::new([2, 3, 13, 7, 5, 2], 2, 0),
        Conv2dGeom::new([1, 13, 3, 6, 5, 7], 1, 3),
        Conv2dGeom::new([2, 5, 9, 9, 13, 4], 4, 3),
        Conv2dGeom::new([2, 6, 5, 7, 9, 1], 2, 0),
        Conv2dGeom::new([1, 3, 5, 8, 6, 3], 1, 0),
        Conv2dGeom::new([2, 4, 10, 5, 7, 6], 3, 5),
        Conv2dGeom::new([1, 1, 1, 1, 1, 3], 2, 1),
        Conv2dGeom::new([1, 2, 3, 4, 17, 3], 2, 1),
    ]
}

/// The seed networks': k4 s2 p1 downsampling, k3 s1 p1 and k1 (the dedicated kernels).
fn seed_shapes() -> Vec<Conv2dGeom> {
    vec![
        Conv2dGeom::new([2, 64, 64, 28, 28, 4], 2, 1),
        Conv2dGeom::new([2, 32, 64, 14, 14, 4], 2, 1),
        Conv2dGeom::new([2, 64, 64, 14, 14, 3], 1, 1),
        Conv2dGeom::new([2, 64, 3, 14, 14, 1], 1, 0),
    ]
}

#[test]
fn conv2d_geom_forward_odd_shapes() {
    each(&odd_shapes(), 100, check_forward);
}

#[test]
fn conv2d_geom_forward_seed_shapes() {
    each(&seed_shapes(), 120, check_forward);
}

#[test]
fn conv2d_geom_backward_odd_shapes() {
    each(&odd_shapes(), 140, check_backward);
}

#[test]
fn conv2d_geom_backward_seed_shapes() {
    each(&seed_shapes(), 160, check_backward);
}

#[test]
fn conv2d_strided_graph_finite_difference() {
    let shapes = [
        Conv2dGeom::new([2, 3, 5, 7, 6, 4], 2, 1),
        Conv2dGeom::new([1, 2, 3, 5, 7, 3], 3, 2),
        Conv2dGeom::new([2, 3, 2, 5, 4, 3], 1, 1),
    ];
    // With bias and dx at seed + i, then without either at seed + 10 + i.
    each(&shapes, 180, |s, seed| {
        check_graph(s, seed, true, true);
        check_graph(s, seed + 10, false, false);
    });
}
