//! The shape of a batchnorm layer and how the chunked passes split it (`Slot` and the chunks in
//! `shaders/bn_params.wgsl`).

use super::{BN_CHUNK, BN_SHORT_PER_THREAD};
use crate::gpu::{GpuTensor, WG};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BnShape {
    pub n: usize,
    pub c: usize,
    pub hw: usize,
}

impl BnShape {
    /// Values per channel (the batch-statistics population).
    pub fn m(&self) -> usize {
        self.n * self.hw
    }

    pub fn len(&self) -> usize {
        self.n * self.c * self.hw
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Values per element the kernels move: 4 (the `_vec4` entry points) where a plane
    /// holds a multiple of 4, else 1.
    pub fn width(&self) -> usize {
        if self.hw.is_multiple_of(4) {
            4
        } else {
            1
        }
    }

    /// Invocations per (channel, chunk) in the chunked passes (`Slot` in
    /// `shaders/bn_params.wgsl`): the fewest powers of two from 8 that give each at most
    /// `BN_SHORT_PER_THREAD` elements of the kernels' width, so one workgroup covers
    /// WG / lanes channels in one chunk each; a channel too long for that gets the whole
    /// workgroup and chunks of `BN_CHUNK` elements.
    pub fn lanes(&self) -> usize {
        self.lanes_at(self.width())
    }

    /// Chunks per channel in the chunked passes.
    pub fn chunks(&self) -> usize {
        self.chunks_at(self.width())
    }

    pub(super) fn lanes_at(&self, width: usize) -> usize {
        let elements = self.m() / width;
        elements
            .div_ceil(BN_SHORT_PER_THREAD)
            .next_power_of_two()
            .clamp(8, WG as usize)
    }

    pub(super) fn chunks_at(&self, width: usize) -> usize {
        if self.lanes_at(width) < WG as usize {
            return 1;
        }
        (self.m() / width).div_ceil(BN_CHUNK).max(1)
    }

    /// The chunked passes' workgroup grid: chunks along x, runs of channels along y.
    pub(super) fn groups_at(&self, width: usize) -> [u32; 3] {
        let runs = WG as usize / self.lanes_at(width);
        [
            self.chunks_at(width) as u32,
            self.c.div_ceil(runs) as u32,
            1,
        ]
    }
}

/// The width the passes over `tensors` run at: `s.width()`, unless a tensor's binding does not
/// start on a vec4 (an adapter whose storage offset alignment is below 16 bytes).
pub(super) fn width_for(s: &BnShape, tensors: &[&GpuTensor]) -> usize {
    if tensors.iter().all(|t| t.offset.is_multiple_of(16)) {
        s.width()
    } else {
        1
    }
}
