//! Classifier-free guidance: w = 0 is unconditional sampling, w = 1 conditional sampling.

use std::sync::Arc;

use wgpu_ddpm::diffusion::sampler::{Sampler, SamplerConfig, SamplerKind, Variance};
use wgpu_ddpm::diffusion::schedule::{Schedule, ScheduleKind};
use wgpu_ddpm::gpu::Gpu;
use wgpu_ddpm::model::graph::Graph;
use wgpu_ddpm::model::network::{Model, NetConfig};
use wgpu_ddpm::sample::{sample, Conditioning, Samples};

#[path = "common/tiny_net.rs"]
mod tiny_net;

fn setup() -> (Arc<Gpu>, Model, Schedule, SamplerConfig) {
    let gpu = Gpu::new().unwrap();
    let net = Model::new(&gpu, &tiny_net::tiny_net(3), 5).unwrap();
    let sched = Schedule::new(ScheduleKind::Linear, 20).unwrap();
    let scfg = SamplerConfig {
        kind: SamplerKind::Ddpm {
            variance: Variance::Small,
        },
        clip_x0: false,
        seed: 9,
        prediction: Default::default(),
    };
    (gpu, net, sched, scfg)
}

/// Plain single-batch sampling with fixed labels (no doubling, no guidance kernel).
fn direct(
    gpu: &Arc<Gpu>,
    net: &Model,
    sched: &Schedule,
    scfg: &SamplerConfig,
    labels: &[u32],
) -> Vec<f32> {
    let n = labels.len();
    let x = gpu.zeros(&[n, 1, 8, 8]);
    let t = gpu.zeros(&[n]);
    let y = gpu.upload_u32(labels, &[n]);
    let mut g = Graph::new(gpu, false);
    let xin = g.input(x.clone());
    let out = net.forward_cond(&mut g, &xin, &t, Some(&y));
    let s = Sampler::new(gpu, sched, *scfg, n, 64, &x, &t, &out.val).unwrap();
    s.run(&g.finish().forward, 0, |_, _| {}).unwrap().0
}

/// One batch, one image per label, guided with weight `w`, no snapshots.
fn guided(
    gpu: &Arc<Gpu>,
    net: &Model,
    sched: &Schedule,
    scfg: &SamplerConfig,
    labels: &[u32],
    w: f32,
) -> anyhow::Result<Samples> {
    let n = labels.len();
    let cond = Conditioning {
        labels: labels.to_vec(),
        guidance: w,
    };
    sample(gpu, net, sched, scfg, n, n, 0, Some(&cond), |_, _| {})
}

fn close(a: &[f32], b: &[f32], what: &str) {
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    // Same kernels on the same per-image data; the guidance combine adds one rounding.
    assert!(worst < 1e-4, "{what}: max difference {worst}");
}

#[test]
fn guidance_zero_is_unconditional_and_one_is_conditional() {
    let (gpu, net, sched, scfg) = setup();
    let labels = vec![0u32, 2, 1];
    let flat = |v: Vec<Vec<f32>>| v.concat();
    let g0 = guided(&gpu, &net, &sched, &scfg, &labels, 0.0).unwrap();
    let uncond = direct(&gpu, &net, &sched, &scfg, &[3, 3, 3]);
    close(&flat(g0.images), &uncond, "w = 0 vs null-label sampling");
    let g1 = guided(&gpu, &net, &sched, &scfg, &labels, 1.0).unwrap();
    let cond = direct(&gpu, &net, &sched, &scfg, &labels);
    close(&flat(g1.images), &cond, "w = 1 vs conditional sampling");
    // The labels matter: conditional and unconditional chains differ.
    let diff = cond
        .iter()
        .zip(&uncond)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(diff > 1e-3, "conditioning had no effect ({diff})");
}

#[test]
fn bad_class_and_unconditional_guidance_are_errors() {
    let (gpu, net, sched, scfg) = setup();
    let e = guided(&gpu, &net, &sched, &scfg, &[3], 2.0).err().unwrap();
    assert!(
        format!("{e:#}").contains("outside the trained classes"),
        "{e:#}"
    );
    let un = Model::new(
        &gpu,
        &NetConfig {
            num_classes: 0,
            ..net.cfg.clone()
        },
        1,
    )
    .unwrap();
    let e = guided(&gpu, &un, &sched, &scfg, &[0], 2.0).err().unwrap();
    assert!(format!("{e:#}").contains("unconditional"), "{e:#}");
}
