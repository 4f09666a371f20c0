//! The launch of an elementwise activation (relu, gelu, silu): a kernel that defines its
//! function in WGSL and takes its frame from the `activation` / `activation_backward`
//! libraries (`shaders/activation.wgsl`, `shaders/activation_backward.wgsl`).

use crate::gpu::shape::{expect_len_of, expect_u32};
use crate::gpu::{grid_1d, Dispatch, Gpu, GpuTensor, ShaderId};

crate::uniform! {
    struct Params for relu, relu_backward, gelu, gelu_backward, silu, silu_backward {
        total: u32,
    }
}

crate::bindings! {
    for relu, gelu, silu { x | x4: read, y | y4: read_write }
    for relu_backward, gelu_backward, silu_backward {
        x | x4: read,
        dy | dy4: read,
        dx | dx4: read_write,
    }
}

/// y = act(x) (overwrites y) with the activation kernel `shader`, recorded as `op`.
#[track_caller]
pub(crate) fn forward(
    gpu: &Gpu,
    op: &'static str,
    shader: ShaderId,
    x: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    expect_len_of(op, "y", y, x);
    expect_u32(op, x.len());
    let p = Params {
        total: x.len() as u32,
    };
    let (entry, items) = entry(x.len());
    gpu.dispatch(op, shader, entry, &p, &[x, y], grid_1d(items))
}

/// dx += act'(x) dy with the activation's backward kernel `shader`, recorded as `op`.
#[track_caller]
pub(crate) fn backward(
    gpu: &Gpu,
    op: &'static str,
    shader: ShaderId,
    x: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
) -> Dispatch {
    expect_len_of(op, "dy", dy, x);
    expect_len_of(op, "dx", dx, x);
    expect_u32(op, x.len());
    let p = Params {
        total: x.len() as u32,
    };
    let (entry, items) = entry(x.len());
    gpu.dispatch(op, shader, entry, &p, &[x, dy, dx], grid_1d(items))
}

/// The entry for `len` values and its invocations: 4 values each where `len` allows (an
/// empty tensor is a 4-byte buffer, too short to bind as vec4s).
fn entry(len: usize) -> (&'static str, usize) {
    if len > 0 && len.is_multiple_of(4) {
        ("main_vec4", len / 4)
    } else {
        ("main", len)
    }
}
