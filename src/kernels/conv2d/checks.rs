//! The shape checks every conv launcher makes on the tensors it is given.

use std::fmt::Debug;

use crate::gpu::shape::expect_len;
use crate::gpu::GpuTensor;

/// Element counts of one convolution's tensors: input, output, weights, bias.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lens {
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub b: usize,
}

/// The tensors a launcher was given, each checked only where present.
#[derive(Clone, Copy, Default)]
pub(super) struct Given<'a> {
    pub x: Option<&'a GpuTensor>,
    pub w: Option<&'a GpuTensor>,
    pub b: Option<&'a GpuTensor>,
    pub y: Option<&'a GpuTensor>,
    pub dy: Option<&'a GpuTensor>,
    pub dx: Option<&'a GpuTensor>,
    pub dw: Option<&'a GpuTensor>,
    pub db: Option<&'a GpuTensor>,
}

impl<'a> Given<'a> {
    /// What a layer plan's backward pass is given: w and dy, and the gradients it adds to
    /// (each only where wanted).
    pub fn backward(
        w: &'a GpuTensor,
        dy: &'a GpuTensor,
        dx: Option<&'a GpuTensor>,
        dw: Option<&'a GpuTensor>,
        db: Option<&'a GpuTensor>,
    ) -> Given<'a> {
        Given {
            w: Some(w),
            dy: Some(dy),
            dx,
            dw,
            db,
            ..Given::default()
        }
    }
}

impl Lens {
    /// Asserts that each given tensor has the length shape `s` needs and that no output
    /// overlaps the input it is computed from (y and x, dx and dy).
    #[track_caller]
    pub fn check(&self, what: &str, s: &dyn Debug, t: Given) {
        let named = [
            ("x", t.x, self.x),
            ("w", t.w, self.w),
            ("b", t.b, self.b),
            ("y", t.y, self.y),
            ("dy", t.dy, self.y),
            ("dx", t.dx, self.x),
            ("dw", t.dw, self.w),
            ("db", t.db, self.b),
        ];
        let layout = format!("shape {s:?}");
        for (name, t, want) in named {
            if let Some(t) = t {
                expect_len(what, name, t, want, &layout);
            }
        }
        if let (Some(x), Some(y)) = (t.x, t.y) {
            assert!(!y.overlaps(x), "{what}: y must not overlap x");
        }
        if let (Some(dy), Some(dx)) = (t.dy, t.dx) {
            assert!(!dx.overlaps(dy), "{what}: dx must not overlap dy");
        }
    }
}
