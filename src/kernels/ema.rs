//! EMA of the weights: `shaders/ema.wgsl`. One dispatch over a whole packed buffer.

use crate::gpu::shape::{expect_len, expect_len_of};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::uniform! {
    struct Params for ema {
        total: u32,
    }
}

crate::bindings! {
    for ema { src: read, ema: read_write, decay: read }
}

/// ema = decay * ema + (1 - decay) * src, with `decay` read from a one-element tensor when
/// the dispatch runs (so a recorded step can change it by writing the tensor).
pub fn ema(gpu: &Gpu, decay: &GpuTensor, src: &GpuTensor, ema: &GpuTensor) -> Dispatch {
    expect_len_of("ema", "ema", ema, src);
    expect_len("ema", "decay", decay, 1, "one f32");
    let p = Params {
        total: src.len() as u32,
    };
    gpu.dispatch(
        "ema",
        id::ema,
        "main",
        &p,
        &[src, ema, decay],
        grid_1d(src.len()),
    )
}

pub fn ema_cpu(decay: f32, src: &[f32], ema: &mut [f32]) {
    for (e, s) in ema.iter_mut().zip(src) {
        *e = decay * *e + (1.0 - decay) * s;
    }
}
