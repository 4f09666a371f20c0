//! Channel concatenation: `shaders/concat.wgsl`, `shaders/concat_backward.wgsl`.

use crate::gpu::shape::{expect_shape, expect_u32};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::uniform! {
    struct Params for concat, concat_backward {
        total: u32,
        c1: u32,
        c2: u32,
        hw: u32,
    }
}

crate::bindings! {
    for concat { a | a4: read, b | b4: read, y | y4: read_write }
    for concat_backward { dy | dy4: read, da | da4: read_write, db | db4: read_write }
}

/// The Params of a [n, c1, ..] and b [n, c2, ..] joined along channels into y [n, c1 + c2, ..]
/// (the dims after the channels, hw, are the same in all three).
#[track_caller]
fn params(
    op: &str,
    (a_name, a): (&str, &GpuTensor),
    (b_name, b): (&str, &GpuTensor),
    (y_name, y): (&str, &GpuTensor),
) -> Params {
    let (sa, sb) = (&a.shape, &b.shape);
    assert!(
        sa.len() >= 2 && sb.len() == sa.len() && sa[0] == sb[0] && sa[2..] == sb[2..],
        "{op}: {a_name} {sa:?} and {b_name} {sb:?} differ beyond channels"
    );
    let (c1, c2, hw) = (sa[1], sb[1], sa[2..].iter().product::<usize>());
    assert!(
        hw > 0 && c1 + c2 > 0,
        "{op}: empty shape c1={c1} c2={c2} hw={hw}"
    );
    let mut joined = sa.clone();
    joined[1] = c1 + c2;
    expect_shape(op, y_name, y, &joined);
    expect_u32(op, y.len());
    Params {
        total: y.len() as u32,
        c1: c1 as u32,
        c2: c2 as u32,
        hw: hw as u32,
    }
}

/// y = cat([a, b], dim = 1) for a [n, c1, ..], b [n, c2, ..], y [n, c1 + c2, ..] (overwrites y).
#[track_caller]
pub fn concat(gpu: &Gpu, a: &GpuTensor, b: &GpuTensor, y: &GpuTensor) -> Dispatch {
    let p = params("concat", ("a", a), ("b", b), ("y", y));
    let (entry, items) = entry(&p);
    gpu.dispatch("concat", id::concat, entry, &p, &[a, b, y], grid_1d(items))
}

/// da += dy[:, ..c1], db += dy[:, c1..] in one dispatch.
#[track_caller]
pub fn concat_backward(gpu: &Gpu, dy: &GpuTensor, da: &GpuTensor, db: &GpuTensor) -> Dispatch {
    let p = params("concat_backward", ("da", da), ("db", db), ("dy", dy));
    let (entry, items) = entry(&p);
    let binds = [dy, da, db];
    gpu.dispatch(
        "concat_backward",
        id::concat_backward,
        entry,
        &p,
        &binds,
        grid_1d(items),
    )
}

/// The entry point and its invocations: a vec4 of a plane each where planes hold a multiple
/// of 4 values (and neither half is empty: an empty one is a 4-byte buffer, too short to
/// bind as vec4s).
fn entry(p: &Params) -> (&'static str, usize) {
    if p.hw.is_multiple_of(4) && p.c1 > 0 && p.c2 > 0 {
        ("main_vec4", p.total as usize / 4)
    } else {
        ("main", p.total as usize)
    }
}

pub fn concat_cpu(n: usize, c1: usize, c2: usize, hw: usize, a: &[f32], b: &[f32]) -> Vec<f32> {
    let mut y = Vec::with_capacity(n * (c1 + c2) * hw);
    for i in 0..n {
        y.extend_from_slice(&a[i * c1 * hw..(i + 1) * c1 * hw]);
        y.extend_from_slice(&b[i * c2 * hw..(i + 1) * c2 * hw]);
    }
    y
}

/// Returns the plain gradients (da, db).
pub fn concat_backward_cpu(
    n: usize,
    c1: usize,
    c2: usize,
    hw: usize,
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let (mut da, mut db) = (Vec::new(), Vec::new());
    for i in 0..n {
        let row = &dy[i * (c1 + c2) * hw..(i + 1) * (c1 + c2) * hw];
        da.extend_from_slice(&row[..c1 * hw]);
        db.extend_from_slice(&row[c1 * hw..]);
    }
    (da, db)
}
