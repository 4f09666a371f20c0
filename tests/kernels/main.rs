//! GPU kernels against their CPU references (one module per op), on the adapter that
//! `Gpu::new` picks (lavapipe and SwiftShader in CI), within bounds any conformant driver
//! meets (docs/tolerances.md, `common::tol`). Shapes are tiny and deliberately odd.
//!
//! Every file in this folder is a module, declared by the list `build.rs` writes from the
//! files (`build/modules.rs`); the ones that are not an op's tests say what they share at
//! their top (`tape`, `activation`, `elementwise_support`, `norm_bounds`, `norm_support`,
//! `conv_geom_support`).

#[path = "../common/mod.rs"]
mod common;

include!(concat!(env!("OUT_DIR"), "/modules_tests_kernels.rs"));
