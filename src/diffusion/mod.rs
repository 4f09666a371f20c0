//! Diffusion: noise schedules (docs/design.md section 2) and the GPU sampling loop.

pub mod sampler;
pub mod schedule;

pub use crate::kernels::prediction::Prediction;
pub use sampler::{Sampler, SamplerConfig, SamplerKind, Variance};
pub use schedule::{Schedule, ScheduleKind};
