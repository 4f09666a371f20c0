//! One module per op: launcher(s), params struct and CPU reference, named as the shader.
//! Every file and folder here is a `pub mod`, declared by the list `build.rs` writes from
//! the files (`build/modules.rs`): a new op's file needs no line here.

include!(concat!(env!("OUT_DIR"), "/modules_src_kernels.rs"));
