//! The grid of `shaders/segments.wgsl`: `count` contiguous segments of `len` values each,
//! reduced per segment by a 256-invocation workgroup that gives every segment `lanes` lanes.
//! Shared by group_norm (segments are (image, channel) planes) and layer_norm (rows).

use crate::gpu::{GRID_ROW, WG};

/// Values each lane adds per chunk (the loop trip count in the kernels that chunk).
pub const PER_LANE: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segments {
    pub count: usize,
    pub len: usize,
    /// log2 of the lanes per segment: the fewest lanes (at most 256) that leave each lane at
    /// most `PER_LANE` values of a segment, so short segments share a workgroup instead of
    /// idling most of it.
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

    /// Workgroups along one segment, each covering `lanes * PER_LANE` of its values (more
    /// than one only when all 256 lanes serve one segment).
    pub fn chunks(&self) -> usize {
        self.len.div_ceil(self.lanes() * PER_LANE).max(1)
    }

    /// Workgroup grid: chunks along x, tiles of `per_workgroup` segments along y (wrapping
    /// into z past `GRID_ROW`, as `segment_of` in WGSL expects).
    pub fn grid(&self) -> [u32; 3] {
        let tiles = self.count.div_ceil(self.per_workgroup()).max(1);
        let rows = GRID_ROW as usize;
        [
            self.chunks() as u32,
            tiles.min(rows) as u32,
            tiles.div_ceil(rows) as u32,
        ]
    }

    /// The same tiles with one workgroup along each segment, for kernels whose lanes loop
    /// over their whole segment.
    pub fn grid_whole(&self) -> [u32; 3] {
        let [_, y, z] = self.grid();
        [1, y, z]
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
