//! Min-SNR loss weights (`--min-snr-gamma`): `shaders/snr_weight.wgsl`, one weight per image
//! from its timestep, for the weighted MSE (`mse::mse_weighted`).

use super::prediction::Prediction;
use super::schedule_table::table_steps;
use crate::gpu::shape::expect_len;
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::uniform! {
    struct Params for snr_weight {
        total: u32,
        pred: u32,
        gamma: f32,
    }
}

crate::bindings! {
    for snr_weight { table: read, t: read, w: read_write }
}

/// w[i] = min(snr, gamma) / snr (eps), min(snr, gamma) (x0) or min(snr, gamma) / (snr + 1)
/// (v), snr = abar / (1 - abar) at t[i] (u32 [n]); `table` is `ScheduleTable::gpu_table`.
pub fn snr_weight(
    gpu: &Gpu,
    pred: Prediction,
    gamma: f32,
    table: &GpuTensor,
    t: &GpuTensor,
    w: &GpuTensor,
) -> Dispatch {
    let op = "snr_weight";
    let n = t.len();
    assert!(n > 0, "{op}: no images");
    assert!(gamma > 0.0, "{op}: gamma must be positive, got {gamma}");
    table_steps(op, table);
    expect_len(op, "w", w, n, "f32 [n], one weight per t");
    let p = Params {
        total: n as u32,
        pred: pred.code(),
        gamma,
    };
    gpu.dispatch(op, id::snr_weight, "main", &p, &[table, t, w], grid_1d(n))
}

/// CPU reference (f64 from the same f32 table entries).
pub fn snr_weight_cpu(pred: Prediction, gamma: f32, table: &[f32], t: &[u32]) -> Vec<f32> {
    t.iter()
        .map(|&t| {
            let row = &table[4 * t as usize..][..4];
            let snr = row[2] as f64 / row[3] as f64;
            weight_of_snr(pred, gamma as f64, snr) as f32
        })
        .collect()
}

/// The min-SNR weight of one image with signal-to-noise ratio `snr`.
pub fn weight_of_snr(pred: Prediction, gamma: f64, snr: f64) -> f64 {
    let clipped = snr.min(gamma);
    match pred {
        Prediction::Eps => clipped / snr,
        Prediction::X0 => clipped,
        Prediction::V => clipped / (snr + 1.0),
    }
}
