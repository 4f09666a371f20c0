//! CPU references of conv2d (f64 accumulation): the general-geometry references at stride 1
//! and padding k/2.

use super::{conv2d_geom_backward_cpu, conv2d_geom_cpu, Conv2dGeom, Conv2dShape};

fn geom(s: &Conv2dShape) -> Conv2dGeom {
    Conv2dGeom::new([s.n, s.cin, s.cout, s.h, s.w, s.k], 1, s.k / 2)
}

/// CPU reference forward (f64 accumulation).
pub fn conv2d_cpu(s: &Conv2dShape, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
    conv2d_geom_cpu(&geom(s), x, w, Some(b))
}

/// returns (dx, dw, db)
pub fn conv2d_backward_cpu(
    s: &Conv2dShape,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    conv2d_geom_backward_cpu(&geom(s), x, w, dy)
}
