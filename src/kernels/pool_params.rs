//! The Params of the maxpool and upsample kernels, laid out as `shaders/pool_params.wgsl`.

use crate::gpu::shape::expect_u32;

crate::uniform! {
    pub(crate) struct PoolParams for maxpool, maxpool_backward, upsample, upsample_backward {
        h: u32,
        w: u32,
        total: u32,
        _pad: u32,
    }
}

impl PoolParams {
    /// Plane size `h` x `w` and `total` invocations (each kernel says what they count).
    #[track_caller]
    pub fn new(op: &str, h: usize, w: usize, total: usize) -> Self {
        expect_u32(op, total);
        Self {
            h: h as u32,
            w: w as u32,
            total: total as u32,
            _pad: 0,
        }
    }

    pub fn total(&self) -> usize {
        self.total as usize
    }
}
