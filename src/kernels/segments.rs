//! The grid of `shaders/segments.wgsl`: `count` segments of `len` values each, reduced per
//! segment by a 256-invocation workgroup that gives every segment `lanes` lanes. Shared by
//! group_norm (planes, groups and channels) and layer_norm (rows and columns).
//!
//! On lavapipe every level of a workgroup's sum tree is a barrier round over all 256
//! invocations, while a lane's values cost the same wherever they sit, so few lanes with many
//! values each are cheapest: with `PER_LANE` 8 / 16 / 32 the GroupNorm statistics pass at
//! 8x64x64x64 took 49 / 22 / 15 ms (llvmpipe, loaded 2-core machine). 32 keeps a 64x64 plane
//! to half a workgroup and a 128-wide row to a two-level tree, and still leaves a GPU
//! thousands of workgroups at the seed's batch of 128.

use crate::gpu::{GRID_ROW, WG};

/// Values each lane adds per chunk (the loop trip count of the kernels that chunk).
pub const PER_LANE: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segments {
    pub count: usize,
    pub len: usize,
    /// log2 of the lanes per segment: the fewest lanes (at most 256) that leave each lane at
    /// most `PER_LANE` values of a segment, so short segments share a workgroup.
    pub shift: u32,
}

impl Segments {
    pub fn new(count: usize, len: usize) -> Self {
        let lanes = len.div_ceil(PER_LANE).next_power_of_two().min(WG as usize);
        Self {
            count,
            len,
            shift: lanes.trailing_zeros(),
        }
    }

    pub fn lanes(&self) -> usize {
        1 << self.shift
    }

    /// Segments one workgroup covers.
    pub fn per_workgroup(&self) -> usize {
        WG as usize >> self.shift
    }

    /// Workgroups (tiles) covering all segments once.
    pub fn tiles(&self) -> usize {
        self.count.div_ceil(self.per_workgroup()).max(1)
    }

    /// Workgroups along one segment, each covering `lanes * PER_LANE` of its values (more
    /// than one only when all 256 lanes serve one segment).
    pub fn chunks(&self) -> usize {
        self.len.div_ceil(self.lanes() * PER_LANE).max(1)
    }

    /// Workgroup grid: chunks along x, tiles along y (wrapping into z past `GRID_ROW`, as
    /// `tile_of` in WGSL expects).
    pub fn grid(&self) -> [u32; 3] {
        tile_grid(self.chunks(), self.tiles())
    }

    /// The same tiles with one workgroup along each segment, for kernels whose lanes loop
    /// over their whole segment.
    pub fn grid_whole(&self) -> [u32; 3] {
        tile_grid(1, self.tiles())
    }

    /// Asserts the grid fits the adapter's dimension limit (65535 per axis).
    #[track_caller]
    pub fn check(&self, what: &str) {
        let [x, _, z] = self.grid();
        assert!(
            x <= 65535 && z <= 65535,
            "{what}: {} segments of {} values exceed the workgroup grid",
            self.count,
            self.len
        );
    }
}

/// `chunks` workgroups along x for each of `tiles` tiles along y, wrapping into z.
pub fn tile_grid(chunks: usize, tiles: usize) -> [u32; 3] {
    let rows = GRID_ROW as usize;
    [
        chunks as u32,
        tiles.min(rows) as u32,
        tiles.div_ceil(rows) as u32,
    ]
}
