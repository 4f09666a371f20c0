//! Training end to end on a tiny U-Net (lavapipe-sized).

use wgpu_ddpm::data::builtin;
use wgpu_ddpm::gpu::Gpu;
use wgpu_ddpm::kernels::adam::AdamConfig;
use wgpu_ddpm::train::{check_finite, TrainConfig, Trainer};

#[path = "common/tiny_net.rs"]
mod tiny_net;

fn tiny(batch: usize, fixed_noise: bool, lr: f32) -> TrainConfig {
    TrainConfig {
        t_max: 100,
        adam: AdamConfig {
            lr,
            ..Default::default()
        },
        seed: 3,
        log_every: 5,
        label_dropout: 0.1,
        fixed_noise,
        ..TrainConfig::plain(tiny_net::tiny_net(0), batch)
    }
}

fn gpu() -> std::sync::Arc<Gpu> {
    Gpu::new().expect("a GPU adapter (lavapipe is enough)")
}

#[test]
fn tiny_unet_overfits_a_fixed_batch() {
    let data = builtin::generate(8, 4, 1);
    let mut tr = Trainer::new(gpu(), tiny(4, true, 1e-2)).unwrap();
    for _ in 0..150 {
        tr.step(&data);
    }
    let l = tr.take_losses(true);
    let first = l[..5].iter().map(|p| p.1).sum::<f32>() / 5.0;
    let last = l[l.len() - 5..].iter().map(|p| p.1).sum::<f32>() / 5.0;
    assert!(last < first / 10.0, "loss fell only from {first} to {last}");
}

#[test]
fn a_step_allocates_nothing_after_the_first() {
    let g = gpu();
    let data = builtin::generate(8, 16, 1);
    let mut tr = Trainer::new(g.clone(), tiny(3, false, 1e-3)).unwrap();
    tr.step(&data);
    tr.take_losses(true);
    let before = (g.allocation_counts(), g.pipelines.len());
    for _ in 0..4 {
        tr.step(&data);
        // The loss readback reuses the context's staging buffer (counted when created).
        tr.take_losses(true);
    }
    assert_eq!((g.allocation_counts(), g.pipelines.len()), before);
}

fn with_ema(mut c: TrainConfig) -> TrainConfig {
    c.ema_decay = Some(0.9);
    c
}

#[test]
fn resumed_run_continues_exactly() {
    // Steps, Adam moments, BatchNorm running stats, EMA and the data/noise streams must
    // all be restored for the losses and the weights to match bit for bit.
    let g = gpu();
    let data = builtin::generate(8, 10, 2);
    let mut full = Trainer::new(g.clone(), with_ema(tiny(4, false, 1e-3))).unwrap();
    for _ in 0..10 {
        full.step(&data);
    }
    let full_losses = full.take_losses(true);

    let mut first = Trainer::new(g.clone(), with_ema(tiny(4, false, 1e-3))).unwrap();
    for _ in 0..5 {
        first.step(&data);
    }
    let mut losses = first.take_losses(true);
    let dir = std::env::temp_dir().join(format!("wgpu-ddpm-resume-{}", std::process::id()));
    let path = dir.join("ck.safetensors");
    first.checkpoint().save(&path).unwrap();
    let ck = wgpu_ddpm::checkpoint::Checkpoint::load(&path).unwrap();
    let mut second = Trainer::new(g.clone(), with_ema(tiny(4, false, 1e-3))).unwrap();
    second.resume_from(&ck).unwrap();
    for _ in 0..5 {
        second.step(&data);
    }
    losses.extend(second.take_losses(true));
    assert_eq!(losses, full_losses, "loss sequence differs after resume");
    let a = full.checkpoint();
    let b = second.checkpoint();
    assert!(
        a.tensors.contains_key("ema.out.weight")
            && a.tensors.contains_key("ema.down1.convs.1.running_var")
    );
    assert_ne!(a.tensors["ema.out.weight"], a.tensors["out.weight"]);
    assert_eq!(
        a.tensors, b.tensors,
        "weights, moments, running stats or EMA differ after resume"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn non_finite_loss_stops_with_advice() {
    let g = gpu();
    let data = builtin::generate(8, 8, 1);
    let mut tr = Trainer::new(g.clone(), tiny(4, false, 1e-3)).unwrap();
    tr.step(&data);
    // Poison one weight: the next loss is NaN and must be reported, not logged.
    let out_w = tr.net.layout.params.view(&tr.net.params, "out.weight");
    let mut w = g.read(&out_w);
    w[0] = f32::NAN;
    g.write(&out_w, &w);
    tr.step(&data);
    let losses = tr.take_losses(true);
    assert!(
        losses[0].1.is_finite() && losses[1].1.is_nan(),
        "{losses:?}"
    );
    let err = format!(
        "{:#}",
        check_finite(
            &losses,
            1e-3,
            std::path::Path::new("ck.safetensors"),
            Some(1)
        )
        .unwrap_err()
    );
    assert!(
        err.contains("step 2")
            && err.contains("--lr 1e-4")
            && err.contains("ck.safetensors, step 1"),
        "{err}"
    );
    let err = format!(
        "{:#}",
        check_finite(&losses, 1e30, std::path::Path::new("ck.safetensors"), None).unwrap_err()
    );
    assert!(
        err.contains("No checkpoint was written")
            && err.contains("--lr 1e-3")
            && !err.contains("is kept"),
        "{err}"
    );
}

#[test]
fn gradient_clipping_trains_and_is_reproducible() {
    let g = gpu();
    let data = builtin::generate(8, 8, 1);
    let mut c = tiny(4, false, 1e-3);
    c.grad_clip = Some(0.05);
    let run = || {
        let mut tr = Trainer::new(g.clone(), c.clone()).unwrap();
        for _ in 0..3 {
            tr.step(&data);
        }
        (tr.take_losses(true), tr.checkpoint().tensors)
    };
    let (l1, w1) = run();
    let (l2, w2) = run();
    assert!(l1.iter().all(|p| p.1.is_finite()));
    assert_eq!((l1, w1), (l2, w2), "clipped training must be deterministic");
}

/// GPU timestamps on hardware adapters that have them; the wall clock on CPU adapters (whose
/// timestamps do not bracket execution) unless BENCH_CLOCK says otherwise.
#[test]
fn profile_uses_gpu_timestamps_on_hardware_adapters_that_have_them() {
    let g = gpu();
    let tr = Trainer::new(g.clone(), tiny(2, false, 1e-3)).unwrap();
    let prof = wgpu_ddpm::bench::profile(&g, tr.program(), 1);
    let forced = std::env::var("BENCH_CLOCK").unwrap_or_default();
    let timestamps = g.features.contains(wgpu::Features::TIMESTAMP_QUERY)
        && forced != "wall"
        && (forced == "gpu" || !g.is_cpu());
    let clock = if timestamps {
        "[gpu timestamps]"
    } else {
        "[wall clock]"
    };
    assert!(!prof.is_empty());
    let total: f64 = prof.iter().map(|p| p.1).sum();
    assert!(total > 0.0 && total < 60.0, "{prof:?}");
    for (label, t, _) in &prof {
        assert!(
            label.ends_with(clock) && t.is_finite() && *t >= 0.0,
            "{label} {t}"
        );
    }
}
