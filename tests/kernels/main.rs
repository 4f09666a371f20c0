//! GPU kernels against their CPU references (one module per op), on the adapter that
//! `Gpu::new` picks (lavapipe in CI). Shapes are tiny and deliberately odd.

mod common;

mod conv2d;
mod relu;
