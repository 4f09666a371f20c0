//! The optimisation settings diffusers users expect: the learning-rate schedules and the EMA
//! warmup against diffusers' formulas, gradient accumulation against one larger batch, flip
//! augmentation, and an exact resume of a run that uses all of them.

use wgpu_ddpm::data::builtin;
use wgpu_ddpm::gpu::Gpu;
use wgpu_ddpm::kernels::adam::AdamConfig;
use wgpu_ddpm::model::network::{NetConfig, NetKind};
use wgpu_ddpm::train::optim::ema_decay;
use wgpu_ddpm::train::{batch, EmaWarmup, LrSchedule, TrainConfig, Trainer};

#[path = "common/tiny_net.rs"]
mod tiny_net;

fn cfg(net: NetConfig, batch: usize) -> TrainConfig {
    TrainConfig {
        t_max: 100,
        adam: AdamConfig {
            lr: 1e-3,
            ..Default::default()
        },
        steps: 10,
        seed: 5,
        log_every: 4,
        label_dropout: 0.2,
        ..TrainConfig::plain(net, batch)
    }
}

fn gpu() -> std::sync::Arc<Gpu> {
    Gpu::new().expect("a GPU adapter (lavapipe is enough)")
}

fn schedule(kind: &str, warmup: u64, total: u64) -> LrSchedule {
    LrSchedule::parse(kind, warmup, total).unwrap()
}

#[test]
fn lr_schedules_follow_diffusers_formulas() {
    // Hand-evaluated from diffusers' lr_lambda functions (quoted in src/train/optim.rs) for
    // num_warmup_steps 10, num_training_steps 110: warmup k/10; then progress (k-10)/100.
    let (c, l, k) = (
        schedule("constant", 10, 110),
        schedule("linear", 10, 110),
        schedule("cosine", 10, 110),
    );
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    for s in [c, l, k] {
        assert_eq!(s.factor(0, 110), 0.0, "the first update has lr 0");
        assert!(close(s.factor(5, 110), 0.5) && close(s.factor(10, 110), 1.0));
    }
    assert!(close(c.factor(109, 110), 1.0) && close(c.factor(500, 110), 1.0));
    // linear: (110 - k) / 100
    assert!(close(l.factor(60, 110), 0.5) && close(l.factor(85, 110), 0.25));
    assert_eq!((l.factor(110, 110), l.factor(200, 110)), (0.0, 0.0));
    // cosine: 0.5 (1 + cos(pi progress)); progress 1/4 gives 0.5 + sqrt(2)/4
    assert!(close(k.factor(35, 110), 0.5 + 2f64.sqrt() / 4.0));
    assert!(close(k.factor(60, 110), 0.5) && k.factor(110, 110).abs() < 1e-15);
    assert!(k.factor(109, 110) > 0.0 && k.factor(109, 110) < 1e-3);
    // No warmup: the first update has the full rate.
    assert_eq!(schedule("cosine", 0, 10).factor(0, 10), 1.0);
    // The constant schedule without warmup is the plain rate, bit for bit.
    assert_eq!(LrSchedule::CONSTANT.lr(3e-4, 7, 0), 3e-4);
    assert_eq!(l.lr(1e-3, 60, 110), 5e-4);
}

#[test]
fn lr_schedule_flags_are_checked() {
    let e = LrSchedule::parse("step", 0, 10).unwrap_err().to_string();
    assert!(e.contains("--lr-schedule") && e.contains("cosine"), "{e}");
    let e = LrSchedule::parse("cosine", 11, 10).unwrap_err().to_string();
    assert!(
        e.contains("--warmup-steps 11") && e.contains("10 or less"),
        "{e}"
    );
    assert!(
        LrSchedule::parse("linear", 10, 10).is_ok(),
        "warmup == steps is allowed"
    );
}

#[test]
fn ema_warmup_follows_diffusers() {
    // get_decay(k) = min(max, 1 - (1 + (k-1)/inv_gamma)^-power), 0 at the first update.
    let w = Some(EmaWarmup {
        inv_gamma: 1.0,
        power: 0.75,
    });
    assert_eq!(ema_decay(0.9999, w, 1), 0.0);
    let want2 = 1.0 - 2f64.powf(-0.75);
    assert!((ema_decay(0.9999, w, 2) as f64 - want2).abs() < 1e-7);
    let w2 = Some(EmaWarmup {
        inv_gamma: 10.0,
        power: 2.0 / 3.0,
    });
    let want = 1.0 - (1.0 + 99.0 / 10.0f64).powf(-2.0 / 3.0);
    assert!((ema_decay(0.9999, w2, 100) as f64 - want).abs() < 1e-7);
    assert_eq!(ema_decay(0.99, w, 1_000_000), 0.99, "capped at the maximum");
    assert_eq!(ema_decay(0.999, None, 1), 0.999, "--ema DECAY stays fixed");
}

#[test]
fn random_flip_mirrors_rows_and_is_a_function_of_seed_step_index() {
    let data = builtin::generate(8, 3, 1);
    let idx = [2, 0];
    let px = batch::pixels(&data, &idx, |j| j == 0);
    let (img, w) = (data.image(2), data.w);
    for (r, row) in px[..data.chw()].chunks(w).enumerate() {
        let want: Vec<f32> = img[r * w..][..w].iter().rev().copied().collect();
        assert_eq!(row, &want[..]);
    }
    assert_eq!(&px[data.chw()..], data.image(0));
    let flips: Vec<bool> = (0..1000).map(|j| batch::flipped(7, 3, j)).collect();
    let count = flips.iter().filter(|f| **f).count();
    // Binomial(1000, 1/2): 6 standard deviations is 95.
    assert!((405..=595).contains(&count), "{count} of 1000 flipped");
    assert_eq!(
        flips,
        (0..1000)
            .map(|j| batch::flipped(7, 3, j))
            .collect::<Vec<_>>()
    );
    assert_ne!(
        flips,
        (0..1000)
            .map(|j| batch::flipped(7, 4, j))
            .collect::<Vec<_>>()
    );
}

/// Seed 002's SimpleUNet has no BatchNorm, so a micro-batch computes exactly what its
/// images compute inside a larger batch: one step of 2 micro-batches of 2 must give the
/// gradient and loss of one batch of 4.
#[test]
fn grad_accumulation_matches_one_larger_batch() {
    let g = gpu();
    let data = builtin::generate(8, 12, 3);
    let net = NetConfig {
        net: NetKind::Seed002,
        channels: vec![4, 6, 4],
        temb_dim: wgpu_ddpm::model::nets::defaults(NetKind::Seed002).1,
        ..tiny_net::tiny_net(0)
    };
    let mut whole = Trainer::new(g.clone(), cfg(net.clone(), 4)).unwrap();
    let mut acc = cfg(net, 2);
    acc.grad_accum = 2;
    let mut micro = Trainer::new(g.clone(), acc).unwrap();
    whole.step(&data);
    micro.step(&data);
    let (la, lb) = (whole.take_losses(true)[0].1, micro.take_losses(true)[0].1);
    let (ga, gb) = (whole.read_grads(), micro.read_grads());
    // Per image, the forward pass, the loss gradient (2 (pred - eps) / (4*64) on both sides)
    // and the backward data path are the same computations; only the reductions over the
    // batch differ in order: one sum over 4 images against two sums over 2 images added.
    // Recursive summation of L terms errs by at most (L-1) u sum|terms| (u = 2^-24), so
    // the two differ by at most 2 L u sum|terms| with L = 4 images * 64 pixels = 256.
    let u = f32::EPSILON as f64 / 2.0;
    let l = 256.0;
    // The loss sums squares (no cancellation: sum|terms| = the sum itself).
    assert!(
        ((la - lb) as f64).abs() <= 2.0 * l * u * la as f64,
        "loss {la} vs {lb}"
    );
    // A gradient sums signed terms; their sum of magnitudes is bounded here by 16 times the
    // largest gradient (an allowance for cancellation, not measured).
    let max = ga.iter().fold(0f32, |m, x| m.max(x.abs())) as f64;
    assert!(max > 0.0);
    let bound = 2.0 * l * u * 16.0 * max;
    for (i, (a, b)) in ga.iter().zip(&gb).enumerate() {
        assert!(
            ((a - b) as f64).abs() <= bound,
            "gradient {i}: {a} vs {b} (bound {bound:e})"
        );
    }
}

#[test]
fn ema_warmup_copies_the_weights_at_the_first_step() {
    let g = gpu();
    let data = builtin::generate(8, 8, 1);
    let mut c = cfg(tiny_net::tiny_net(0), 2);
    c.ema_decay = Some(0.999);
    c.ema_warmup = Some(EmaWarmup::DEFAULT);
    let mut tr = Trainer::new(g, c).unwrap();
    tr.step(&data);
    let ck = tr.checkpoint();
    assert_eq!(ck.tensors["ema.out.weight"], ck.tensors["out.weight"]);
    tr.step(&data);
    let ck = tr.checkpoint();
    assert_ne!(ck.tensors["ema.out.weight"], ck.tensors["out.weight"]);
}

#[test]
fn resume_with_schedule_accumulation_ema_warmup_and_flips_is_exact() {
    let g = gpu();
    let data = builtin::generate(8, 10, 2);
    let mut c = cfg(tiny_net::tiny_net(5), 2);
    c.lr_schedule = schedule("cosine", 3, 10);
    c.grad_accum = 2;
    c.ema_decay = Some(0.99);
    c.ema_warmup = Some(EmaWarmup {
        inv_gamma: 1.0,
        power: 2.0 / 3.0,
    });
    c.random_flip = true;
    let mut full = Trainer::new(g.clone(), c.clone()).unwrap();
    for _ in 0..8 {
        full.step(&data);
    }
    let full_losses = full.take_losses(true);

    let mut first = Trainer::new(g.clone(), c.clone()).unwrap();
    for _ in 0..5 {
        first.step(&data);
    }
    let mut losses = first.take_losses(true);
    let dir = std::env::temp_dir().join(format!("wgpu-ddpm-resume-opt-{}", std::process::id()));
    let path = dir.join("ck.safetensors");
    first.checkpoint().save(&path).unwrap();
    let ck = wgpu_ddpm::checkpoint::Checkpoint::load(&path).unwrap();
    let mut second = Trainer::new(g.clone(), c.clone()).unwrap();
    second.resume_from(&ck).unwrap();
    for _ in 0..3 {
        second.step(&data);
    }
    losses.extend(second.take_losses(true));
    assert_eq!(losses, full_losses, "loss sequence differs after resume");
    let (a, b) = (full.checkpoint(), second.checkpoint());
    assert_eq!(a.tensors, b.tensors, "weights, moments or EMA differ");
    // The settings are recorded in the checkpoint for a resume to compare.
    let tc: serde_json::Value = serde_json::from_str(&a.metadata["train_config"]).unwrap();
    assert_eq!(tc["grad_accum"], 2);
    assert_eq!(tc["random_flip"], true);
    assert_eq!(tc["lr_schedule"]["kind"], "cosine");
    assert_eq!(tc["ema_warmup"]["inv_gamma"], 1.0);
    std::fs::remove_dir_all(dir).ok();
}
