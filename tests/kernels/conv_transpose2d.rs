//! ConvTranspose2d (kernels::conv2d::transpose) and the graph op `conv_transpose2d`.

use wgpu_ddpm::kernels::conv2d::*;
use wgpu_ddpm::model::graph::{Graph, Var};

use crate::conv_geom_support::*;

impl GeomOp for ConvTranspose2dShape {
    fn x_shape(&self) -> [usize; 4] {
        [self.n, self.cin, self.h, self.w]
    }
    fn w_shape(&self) -> [usize; 4] {
        [self.cin, self.cout, self.k, self.k]
    }
    fn y_shape(&self) -> [usize; 4] {
        [self.n, self.cout, self.out_h(), self.out_w()]
    }
    fn cout(&self) -> usize {
        self.cout
    }
    fn fan_in(&self) -> usize {
        // Each output meets about k*k/s^2 taps of every input channel.
        (self.cin * self.k * self.k).div_ceil(self.stride * self.stride)
    }
    fn cpu(&self, x: &[f32], w: &[f32], b: Option<&[f32]>) -> Vec<f32> {
        conv_transpose2d_cpu(self, x, w, b)
    }
    fn cpu_backward(&self, x: &[f32], w: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        conv_transpose2d_backward_cpu(self, x, w, dy)
    }
    fn graph(&self, g: &mut Graph, x: &Var, w: &Var, b: Option<&Var>) -> Var {
        g.conv_transpose2d(x, w, b, self.stride, self.pad, self.output_pad)
    }
}

/// Odd geometries: strides 1..4 (over k too), paddings 0..k-1, output paddings, rectangular,
/// odd channels.
fn odd_shapes() -> Vec<ConvTranspose2dShape> {
    vec![
        ConvTranspose2dShape::new([3, 5, 7, 5, 4, 5], 3, 2, 1),
        ConvTranspose2dShape::new([2, 3, 13, 4, 6, 2], 2, 0, 1),
        ConvTranspose2dShape::new([1, 13, 3, 6, 5, 7], 1, 3, 0),
        ConvTranspose2dShape::new([2, 5, 9, 3, 5, 4], 4, 3, 3),
        ConvTranspose2dShape::new([2, 6, 5, 4, 3, 1], 2, 0, 1),
        ConvTranspose2dShape::new([1, 3, 5, 4, 3, 3], 1, 0, 0),
        ConvTranspose2dShape::new([2, 4, 10, 3, 4, 6], 3, 5, 2),
        ConvTranspose2dShape::new([1, 1, 1, 1, 1, 3], 2, 1, 1),
        ConvTranspose2dShape::new([1, 2, 3, 2, 9, 3], 2, 1, 0),
        ConvTranspose2dShape::new([1, 3, 2, 3, 3, 2], 3, 1, 0),
    ]
}

/// The seed networks': k4 s2 p1 and k3 s2 p1 op1, both doubling the size.
fn seed_shapes() -> Vec<ConvTranspose2dShape> {
    vec![
        ConvTranspose2dShape::new([2, 64, 64, 14, 14, 4], 2, 1, 0),
        ConvTranspose2dShape::new([2, 64, 32, 7, 7, 3], 2, 1, 1),
        ConvTranspose2dShape::new([2, 3, 64, 7, 7, 4], 2, 1, 0),
    ]
}

#[test]
fn conv_transpose2d_output_size_is_pytorch() {
    // (H-1)*s - 2p + k + op
    assert_eq!(
        ConvTranspose2dShape::new([1, 1, 1, 14, 14, 4], 2, 1, 0).out_h(),
        28
    );
    assert_eq!(
        ConvTranspose2dShape::new([1, 1, 1, 7, 9, 3], 2, 1, 1).out_w(),
        18
    );
    assert_eq!(
        ConvTranspose2dShape::new([1, 1, 1, 5, 4, 5], 3, 2, 1).out_h(),
        14
    );
}

#[test]
fn conv_transpose2d_forward_odd_shapes() {
    each(&odd_shapes(), 200, check_forward);
}

#[test]
fn conv_transpose2d_forward_seed_shapes() {
    each(&seed_shapes(), 220, check_forward);
}

#[test]
fn conv_transpose2d_backward_odd_shapes() {
    each(&odd_shapes(), 240, check_backward);
}

#[test]
fn conv_transpose2d_backward_seed_shapes() {
    each(&seed_shapes(), 260, check_backward);
}

#[test]
fn conv_transpose2d_graph_finite_difference() {
    let shapes = [
        ConvTranspose2dShape::new([2, 3, 5, 3, 4, 4], 2, 1, 0),
        ConvTranspose2dShape::new([1, 2, 3, 4, 3, 3], 2, 1, 1),
        ConvTranspose2dShape::new([2, 3, 2, 3, 2, 5], 3, 2, 2),
    ];
    // With bias and dx at seed + i, then without either at seed + 10 + i.
    each(&shapes, 280, |s, seed| {
        check_graph(s, seed, true, true);
        check_graph(s, seed + 10, false, false);
    });
}
