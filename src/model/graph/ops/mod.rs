//! The tape's ops, one file per kernel module (`src/kernels/<op>`): each adds its methods to
//! `Graph`, recording the forward dispatch and the backward closure.

mod activation;
mod attention;
mod batchnorm;
mod conv2d;
mod conv2d_geom;
mod denoise;
mod group_norm;
mod softmax_cross_entropy;
