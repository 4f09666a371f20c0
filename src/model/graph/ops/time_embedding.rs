//! The time inputs on the tape: sinusoidal embeddings and t/T fractions (no gradient).

use crate::gpu::GpuTensor;
use crate::kernels::time_embedding::{self, TimeEncoding};
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
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
}
