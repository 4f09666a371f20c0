//! Small host-side helpers shared by tests, benches and the CLI.

pub mod host_memory;
pub mod host_rng;
