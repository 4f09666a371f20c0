//! `cargo bench --bench train_step`: a network's training step (images/s, dispatches and
//! submits per step) and sampling throughput (denoise steps/s for a batch).
//! BENCH_NET picks the network (seed000, the default, .. seed004) on its seed's image shape
//! (BENCH_SIZE overrides the side); BENCH_CHANNELS its widths (default: seed000 64,128,256,
//! the others their seed's). Batch 128 on a GPU, 8 on a CPU adapter; override with BENCH_BATCH.

use std::time::Instant;

use wgpu_ddpm::data::{builtin, Dataset};
use wgpu_ddpm::diffusion::sampler::{Sampler, SamplerConfig, SamplerKind};
use wgpu_ddpm::diffusion::schedule::{Schedule, ScheduleKind};
use wgpu_ddpm::gpu::Gpu;
use wgpu_ddpm::model::graph::Graph;
use wgpu_ddpm::model::network::{NetConfig, NetKind};
use wgpu_ddpm::train::{TrainConfig, Trainer};

fn env(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

fn main() {
    let gpu = Gpu::new().expect("benches need a GPU adapter");
    let batch = env("BENCH_BATCH").unwrap_or(if gpu.is_cpu() { 8 } else { 128 });
    let kind = NetKind::from_name(&std::env::var("BENCH_NET").unwrap_or("seed000".into()))
        .expect("BENCH_NET");
    let (c, seed_size) = kind.seed_image();
    let size = env("BENCH_SIZE").unwrap_or(seed_size);
    let mut net = NetConfig::for_net(kind, c, size);
    if let Ok(s) = std::env::var("BENCH_CHANNELS") {
        net.channels = s.split(',').map(|v| v.parse().unwrap()).collect();
    }
    println!("adapter: {}", gpu.describe());
    println!(
        "timing: wall clock; {} {:?}, {size}x{size}x{c}",
        kind.name(),
        net.channels
    );
    let gray = builtin::generate(size, 512, 0);
    // The built-in shapes are gray: repeat the plane for RGB networks.
    let data = if c == 1 {
        gray
    } else {
        let plane = size * size;
        let pixels = gray
            .pixels
            .chunks(plane)
            .flat_map(|p| p.repeat(c))
            .collect();
        Dataset { pixels, c, ..gray }
    };
    let cfg = TrainConfig {
        log_every: 50,
        label_dropout: 0.1,
        ..TrainConfig::plain(net.clone(), batch)
    };
    let mut tr = Trainer::new(gpu.clone(), cfg).unwrap();
    for _ in 0..2 {
        tr.step(&data);
    }
    tr.take_losses(true);
    let steps = env("BENCH_STEPS").unwrap_or(if gpu.is_cpu() { 5 } else { 50 });
    let t = Instant::now();
    for _ in 0..steps {
        tr.step(&data);
    }
    tr.take_losses(true);
    let dt = t.elapsed().as_secs_f64() / steps as f64;
    println!(
        "train_step   batch {batch:>4}  {:>9.2} ms/step  {:>9.1} images/s  ({} dispatches, 1 submit per step)",
        dt * 1e3,
        batch as f64 / dt,
        tr.dispatches_per_step()
    );

    if std::env::var("BENCH_PROFILE").is_ok() {
        println!("profile of one step (each command alone, summed by label):");
        let prof = wgpu_ddpm::bench::profile(&gpu, tr.program(), 2);
        let total: f64 = prof.iter().map(|p| p.1).sum();
        for (label, t, count) in &prof {
            println!(
                "  {label:<32} {:>9.2} ms  {:>5.1}%  ({count} dispatches)",
                t * 1e3,
                100.0 * t / total
            );
        }
        println!("  total                            {:>9.2} ms", total * 1e3);
    }

    // Sampling: denoise steps/s for a batch of 64 (8 on a CPU adapter), eval-mode U-Net.
    let n = env("BENCH_SAMPLE_BATCH").unwrap_or(if gpu.is_cpu() { 8 } else { 64 });
    let sched = Schedule::new(ScheduleKind::Linear, 1000).unwrap();
    let k = env("BENCH_SAMPLE_STEPS").unwrap_or(if gpu.is_cpu() { 10 } else { 100 });
    let scfg = SamplerConfig {
        kind: SamplerKind::Ddim { steps: k, eta: 1.0 },
        clip_x0: false,
        seed: 1,
        prediction: wgpu_ddpm::kernels::prediction::Prediction::Eps,
    };
    let x = gpu.zeros(&[n, c, size, size]);
    let tb = gpu.zeros(&[n]);
    let mut g = Graph::new(&gpu, false);
    let xin = g.input(x.clone());
    let out = tr.net.forward(&mut g, &xin, &tb);
    let sampler = Sampler::new(&gpu, &sched, scfg, n, c * size * size, &x, &tb, &out.val).unwrap();
    let model = g.finish().forward;
    sampler.run(&model, 0, |_, _| {}).unwrap();
    let t = Instant::now();
    sampler.run(&model, 0, |_, _| {}).unwrap();
    let dt = t.elapsed().as_secs_f64();
    println!(
        "sample       batch {n:>4}  {:>9.2} ms/step  {:>9.1} denoise steps/s  ({} steps, no CPU wait between steps)",
        dt / k as f64 * 1e3,
        k as f64 / dt,
        k
    );
}
