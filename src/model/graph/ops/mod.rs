//! The tape's ops, one file per kernel module (`src/kernels/<op>`): each adds its methods to
//! `Graph`, recording the forward dispatch and the backward closure. Every file here is a
//! module, declared by the list `build.rs` writes from the files (`build/modules.rs`).

include!(concat!(env!("OUT_DIR"), "/modules_src_model_graph_ops.rs"));
