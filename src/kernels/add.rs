//! Elementwise sum of two equal-shaped tensors (residual connections): `shaders/add.wgsl`,
//! `shaders/add_backward.wgsl`.

use crate::gpu::shape::{expect_len_of, expect_u32};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::uniform! {
    struct Params for add, add_backward {
        total: u32,
    }
}

crate::bindings! {
    for add { a: read, b: read, y: read_write }
    for add_backward {
        main => { dy: read, da: read_write, db: read_write }
        single => { dy: read, da: read_write }
    }
}

#[track_caller]
fn same_size(op: &str, want: &GpuTensor, ts: &[(&str, &GpuTensor)]) -> Params {
    for (name, t) in ts {
        expect_len_of(op, name, t, want);
    }
    expect_u32(op, want.len());
    Params {
        total: want.len() as u32,
    }
}

/// y = a + b  (overwrites y)
pub fn add(gpu: &Gpu, a: &GpuTensor, b: &GpuTensor, y: &GpuTensor) -> Dispatch {
    let p = same_size("add", a, &[("b", b), ("y", y)]);
    gpu.dispatch("add", id::add, "main", &p, &[a, b, y], grid_1d(a.len()))
}

/// da += dy and db += dy, each skipped when `None`: one dispatch for both, or one per
/// gradient when they share memory (y = a + a), so no kernel writes one buffer through two
/// bindings.
pub fn add_backward(
    gpu: &Gpu,
    dy: &GpuTensor,
    da: Option<&GpuTensor>,
    db: Option<&GpuTensor>,
) -> Vec<Dispatch> {
    let grads: Vec<_> = [("da", da), ("db", db)]
        .into_iter()
        .filter_map(|(name, g)| g.map(|g| (name, g)))
        .collect();
    let p = same_size("add_backward", dy, &grads);
    let single = |g: &GpuTensor| {
        gpu.dispatch(
            "add_backward",
            id::add_backward,
            "single",
            &p,
            &[dy, g],
            grid_1d(dy.len()),
        )
    };
    match (da, db) {
        (Some(a), Some(b)) if !a.overlaps(b) => vec![gpu.dispatch(
            "add_backward",
            id::add_backward,
            "main",
            &p,
            &[dy, a, b],
            grid_1d(dy.len()),
        )],
        _ => grads.iter().map(|(_, g)| single(g)).collect(),
    }
}

pub fn add_cpu(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(a, b)| a + b).collect()
}
