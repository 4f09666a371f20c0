//! Device, buffers, pipelines and recorded command lists.

pub mod bindings;
pub mod context;
pub mod pipelines;
pub mod program;
pub mod readback;
pub mod shape;
pub mod spread;
pub mod tensor;
pub mod texture;
pub mod uniform;

/// The shader registry's typed ids, re-exported so that kernels depend on `gpu` alone.
pub use crate::shaders::{id, kernel, ShaderId};
pub use context::{AdapterChoice, Gpu};
pub use program::{grid_1d, Bind, Command, Dispatch, Program, GRID_ROW, WG};
pub use spread::{Spread, SPREAD_ENV};
pub use tensor::GpuTensor;
pub use texture::{items_per_layer, rgba_texture};
pub use uniform::{Field, Uniform};
