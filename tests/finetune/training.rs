//! Fine-tuning and SDEdit on trained tiny networks: the reward rises, the model survives.

use super::*;

#[test]
fn finetuning_raises_the_reward_and_keeps_the_model() {
    let gpu = gpu();
    let ds = builtin(64);
    let mut net_cfg = tiny(8);
    net_cfg.channels = vec![4, 6, 8];
    let t_max = 20;
    let mut tr = Trainer::new(
        gpu.clone(),
        TrainConfig {
            t_max,
            steps: 30,
            seed: 1,
            log_every: 30,
            ..TrainConfig::plain(net_cfg, 8)
        },
    )
    .unwrap();
    for _ in 0..30 {
        tr.step(&ds);
    }
    let schedule = tr.schedule.clone();
    let mse = |net: &Model| mean_loss(&gpu, net, &schedule, 8, &ds, 32, 5, None).unwrap();
    let mse_before = mse(&tr.net);
    let cfg = FinetuneConfig {
        sampler: ddim(5, 0.0, 3),
        k: 1,
        batch: 4,
        adam: AdamConfig {
            lr: 3e-3,
            ..Default::default()
        },
        reward: Reward::Brightness,
    };
    let mut ft = Finetuner::new(&gpu, tr.net, &schedule, cfg).unwrap();
    let (before, _) = ft.score(77);
    let mut seen = vec![];
    for _ in 0..8 {
        seen.push(ft.step().unwrap());
    }
    let (after, _) = ft.score(77);
    let mse_after = mse(&ft.net);
    println!("reward {before} -> {after} (batches {seen:?}); mse {mse_before} -> {mse_after}");
    assert!(
        after > before + 0.05,
        "reward did not rise: {before} -> {after}"
    );
    assert!(
        mse_after < 2.0 * mse_before,
        "noise-prediction loss blew up: {mse_before} -> {mse_after}"
    );
}

#[test]
fn sdedit_keeps_a_lightly_noised_image_and_optimises_the_input() {
    let gpu = gpu();
    let net = Model::new(&gpu, &tiny(8), 5).unwrap();
    let schedule = Schedule::new(ScheduleKind::Linear, 20).unwrap();
    let ds = builtin(1);
    let image = ds.image(0);
    let mut cfg = EditConfig {
        strength: 0.05, // t = 1: one step from abar_1 = 0.9999 back to 0
        steps: 4,
        count: 2,
        seed: 1,
        reward: None,
        iters: 0,
        lr: 0.05,
        prediction: Prediction::Eps,
    };
    let e = sdedit(&gpu, &net, &schedule, image, &cfg).unwrap();
    assert!(e.rewards.is_empty());
    let worst = e
        .outputs
        .iter()
        .zip(image.iter().cycle())
        .map(|(o, i)| (o - i).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 0.1, "an edit at t = 1 moved a pixel by {worst}");
    // Strength 0.5 (t = 10) with a reward: optimising the input raises the edits' reward.
    cfg.strength = 0.5;
    cfg.reward = Some(Reward::Brightness);
    cfg.iters = 10;
    let e = sdedit(&gpu, &net, &schedule, image, &cfg).unwrap();
    let (first, last) = (e.rewards[0], *e.rewards.last().unwrap());
    assert_eq!(e.rewards.len(), 11);
    assert!(last > first + 0.05, "reward {first} -> {last}");
    assert!(e.inputs != image.repeat(2), "the input was not optimised");
}

/// The classifier reward: log p(class | sample) under a (here untrained) quality classifier
/// rises over a few fine-tune steps, so its gradient reaches the U-Net through the sampler.
#[test]
fn finetune_raises_a_classifier_reward() {
    use std::sync::Arc;
    use wgpu_ddpm::finetune::ClassReward;
    use wgpu_ddpm::quality::{Classifier, ClassifierConfig};
    let gpu = gpu();
    let net = Model::new(&gpu, &tiny(8), 3).unwrap();
    let schedule = Schedule::new(ScheduleKind::Linear, 20).unwrap();
    let cls = ClassifierConfig {
        image_channels: 1,
        image_size: 8,
        classes: 5,
    };
    let classifier = Arc::new(Classifier::new(&gpu, &cls, 4).unwrap());
    let reward = Reward::Class(ClassReward {
        classifier,
        class: 2,
        path: "untrained".into(),
    });
    let cfg = FinetuneConfig {
        sampler: ddim(4, 0.0, 3),
        k: 1,
        batch: 4,
        adam: AdamConfig {
            lr: 5e-2,
            ..Default::default()
        },
        reward,
    };
    let mut ft = Finetuner::new(&gpu, net, &schedule, cfg).unwrap();
    let (before, _) = ft.score(77);
    for _ in 0..16 {
        ft.step().unwrap();
    }
    let (after, _) = ft.score(77);
    println!("class reward {before} -> {after}");
    assert!(
        after > before,
        "class reward did not rise: {before} -> {after}"
    );
}
