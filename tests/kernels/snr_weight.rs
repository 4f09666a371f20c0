use wgpu_ddpm::diffusion::{Schedule, ScheduleKind};
use wgpu_ddpm::kernels::prediction::Prediction;
use wgpu_ddpm::kernels::snr_weight::*;

use crate::common::tol::{assert_within, Tracked, U};
use crate::common::*;

/// The kernel's f32 chain on the table entries it reads, tracked in f64: snr = abar / (1 -
/// abar) (2.5 ULP), min with gamma (moves nothing by more than snr's error), then the
/// division by snr or snr + 1 (one more rounding for the add, 2.5 ULP for the division).
pub fn weight_bound(pred: Prediction, gamma: f32, abar: f32, omt: f32) -> f64 {
    let snr = Tracked::exact(abar).div(Tracked::exact(omt));
    let clipped = Tracked {
        v: snr.v.min(gamma as f64),
        e: snr.e,
    };
    let w = match pred {
        Prediction::Eps => clipped.div(snr),
        Prediction::X0 => clipped,
        Prediction::V => clipped.div(snr.add(Tracked::exact(1.0))),
    };
    // Plus the reference's own rounding to f32.
    w.e + U * w.v.abs()
}

#[test]
fn snr_weight_matches_cpu() {
    let gpu = gpu();
    for (kind, t_max, n) in [
        (ScheduleKind::Linear, 1000, 301),
        (ScheduleKind::Cosine, 1000, 7),
        (ScheduleKind::Linear, 10, 1),
    ] {
        let table = Schedule::new(kind, t_max).unwrap().gpu_table();
        let tab = gpu.upload(&table, &[t_max + 1, 4]);
        let mut rng = HostRng::new(n as u64);
        // Every t from 1 to T in turn (both ends included), then random ones.
        let t: Vec<u32> = (0..n)
            .map(|i| match i {
                0 => 1,
                1 => t_max as u32,
                _ => 1 + (rng.uniform() * t_max as f64) as u32 % t_max as u32,
            })
            .collect();
        let tg = gpu.upload_u32(&t, &[n]);
        for pred in Prediction::ALL {
            for gamma in [0.5f32, 5.0, 1e6] {
                let w = gpu.zeros(&[n]);
                run(&gpu, [snr_weight(&gpu, pred, gamma, &tab, &tg, &w)]);
                let want = snr_weight_cpu(pred, gamma, &table, &t);
                let bounds: Vec<f64> = t
                    .iter()
                    .map(|&t| {
                        let row = &table[4 * t as usize..];
                        weight_bound(pred, gamma, row[2], row[3])
                    })
                    .collect();
                let what = format!("snr_weight {kind:?} T {t_max} {pred} gamma {gamma}");
                assert_within(&what, &gpu.read(&w), &want, &bounds);
            }
        }
    }
}

#[test]
fn snr_weight_formulas() {
    // The reference itself, at points worked by hand: snr 1 and 9 against gamma 5.
    assert_eq!(weight_of_snr(Prediction::Eps, 5.0, 9.0), 5.0 / 9.0);
    assert_eq!(weight_of_snr(Prediction::Eps, 5.0, 1.0), 1.0);
    assert_eq!(weight_of_snr(Prediction::X0, 5.0, 9.0), 5.0);
    assert_eq!(weight_of_snr(Prediction::X0, 5.0, 1.0), 1.0);
    assert_eq!(weight_of_snr(Prediction::V, 5.0, 9.0), 0.5);
    assert_eq!(weight_of_snr(Prediction::V, 5.0, 1.0), 0.5);
}
