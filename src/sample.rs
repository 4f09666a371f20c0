//! Sampling a trained U-Net: BatchNorm in evaluation mode, the whole chain recorded on the
//! GPU with no CPU wait between steps.

#[cfg(not(target_arch = "wasm32"))]
use anyhow::Result;

#[cfg(not(target_arch = "wasm32"))]
use crate::diffusion::sampler::{Sampler, SamplerConfig};
#[cfg(not(target_arch = "wasm32"))]
use crate::diffusion::schedule::Schedule;
#[cfg(not(target_arch = "wasm32"))]
use std::sync::Arc;

use crate::gpu::{Gpu, GpuTensor, Program};
use crate::kernels::guidance::guidance;
use crate::model::graph::Graph;
use crate::model::network::Model;

/// Class labels for a class-conditional network, and the guidance scale w of
/// eps = eps_uncond + w (eps_cond - eps_uncond). `labels` has one entry per image.
#[derive(Clone, Debug)]
pub struct Conditioning {
    pub labels: Vec<u32>,
    pub guidance: f32,
}

/// Record the model program the sampler replays each step: it reads `x` and `t` ([n]) and
/// writes eps. Unconditional networks run once; with conditioning the batch is doubled
/// (conditional half, null-label half) and combined by the guidance kernel, one forward pass.
pub fn record_model(
    gpu: &Gpu,
    net: &Model,
    x: &GpuTensor,
    t: &GpuTensor,
    cond: Option<(&[u32], f32)>,
) -> (Program, GpuTensor) {
    let mut g = Graph::new(gpu, false);
    let n = t.len();
    let null = net.cfg.num_classes as u32;
    match cond {
        _ if net.cfg.num_classes == 0 => {
            let xin = g.input(x.clone());
            let out = net.forward(&mut g, &xin, t);
            (g.finish().forward, out.val)
        }
        None => {
            let y = gpu.upload_u32(&vec![null; n], &[n]);
            let xin = g.input(x.clone());
            let out = net.forward_cond(&mut g, &xin, t, Some(&y));
            (g.finish().forward, out.val)
        }
        Some((labels, w)) => {
            let mut shape2 = x.shape.clone();
            shape2[0] *= 2;
            let (x2, t2) = (gpu.zeros(&shape2), gpu.zeros(&[2 * n]));
            let y2: Vec<u32> = labels
                .iter()
                .copied()
                .chain(std::iter::repeat_n(null, n))
                .collect();
            let y2 = gpu.upload_u32(&y2, &[2 * n]);
            let mut prog = Program::new();
            for half in 0..2u64 {
                let xh = GpuTensor::new(x2.buf.clone(), half * x.bytes(), &x.shape);
                let th = GpuTensor::new(t2.buf.clone(), half * t.bytes(), &t.shape);
                prog.copy(x, &xh);
                prog.copy(t, &th);
            }
            let xin = g.input(x2);
            let out = net.forward_cond(&mut g, &xin, &t2, Some(&y2));
            prog.append(g.finish().forward);
            let eps = gpu.zeros(&x.shape);
            prog.push(guidance(gpu, w, &out.val, &eps));
            (prog, eps)
        }
    }
}

pub struct Samples {
    /// Final images, each c*h*w in [-1, 1].
    pub images: Vec<Vec<f32>>,
    /// Per snapshot (x_T .. x_0), the images of the first batch.
    pub strip: Vec<Vec<Vec<f32>>>,
    /// The timestep t of each strip snapshot (T first, 0 for the final sample).
    pub strip_t: Vec<u32>,
}

/// Draw `count` images in batches of `batch`; `progress(done_steps, total_steps)`.
#[cfg(not(target_arch = "wasm32"))]
pub fn sample(
    gpu: &Arc<Gpu>,
    net: &Model,
    schedule: &Schedule,
    cfg: &SamplerConfig,
    count: usize,
    batch: usize,
    snapshots: usize,
    cond: Option<&Conditioning>,
    progress: impl FnMut(usize, usize),
) -> Result<Samples> {
    let chw = net.cfg.image_channels * net.cfg.image_size * net.cfg.image_size;
    let mut out = Samples {
        images: Vec::new(),
        strip: Vec::new(),
        strip_t: Vec::new(),
    };
    let each = |_: usize, fin: &[f32], strip: Option<Strip>| {
        out.images.extend(fin.chunks(chw).map(|v| v.to_vec()));
        if let Some(st) = strip {
            out.strip_t = st.t;
            out.strip = st
                .snapshots
                .iter()
                .map(|snap| snap.chunks(chw).map(|v| v.to_vec()).collect())
                .collect();
        }
        Ok(())
    };
    sample_batches(
        gpu, net, schedule, cfg, count, batch, snapshots, cond, progress, each,
    )?;
    Ok(out)
}

/// The denoising snapshots of the first batch.
pub struct Strip<'a> {
    /// The timestep of each snapshot (T first, 0 for the final sample).
    pub t: Vec<u32>,
    /// Each snapshot's images, [n * chw].
    pub snapshots: &'a [Vec<f32>],
}

/// [`sample`] one batch at a time: `on_batch(first image index, images [n * chw], the first
/// batch's strip)` gets each batch as soon as it is drawn, so any `count` streams through
/// the memory of one batch. The images are those [`sample`] draws for the same arguments.
/// (The browser build draws one batch with `record_model` and `Sampler::run_async`.)
#[cfg(not(target_arch = "wasm32"))]
pub fn sample_batches(
    gpu: &Arc<Gpu>,
    net: &Model,
    schedule: &Schedule,
    cfg: &SamplerConfig,
    count: usize,
    batch: usize,
    snapshots: usize,
    cond: Option<&Conditioning>,
    mut progress: impl FnMut(usize, usize),
    mut on_batch: impl FnMut(usize, &[f32], Option<Strip>) -> Result<()>,
) -> Result<()> {
    if let Some(c) = cond {
        if net.cfg.num_classes == 0 {
            anyhow::bail!("this checkpoint is unconditional (trained without --cond): --class and --guidance need a class-conditional model");
        }
        if let Some(bad) = c
            .labels
            .iter()
            .find(|l| **l as usize >= net.cfg.num_classes)
        {
            anyhow::bail!(
                "class {bad} is outside the trained classes 0..{}",
                net.cfg.num_classes - 1
            );
        }
        anyhow::ensure!(c.labels.len() >= count, "one label per image is needed");
    }
    let (c, s) = (net.cfg.image_channels, net.cfg.image_size);
    let chw = c * s * s;
    let batch = batch.clamp(1, count.max(1));
    let mut done = 0;
    let mut b_index = 0u64;
    while done < count {
        let n = batch.min(count - done);
        let x = gpu.zeros(&[n, c, s, s]);
        let t = gpu.zeros(&[n]);
        let labels = cond.map(|c| (&c.labels[done..done + n], c.guidance));
        let (model, eps) = record_model(gpu, net, &x, &t, labels);
        let mut bcfg = *cfg;
        bcfg.seed = cfg.seed.wrapping_add(b_index.wrapping_mul(0x9E37_79B9));
        let sampler = Sampler::new(gpu, schedule, bcfg, n, chw, &x, &t, &eps)?;
        let (fin, snaps) = sampler.run(
            &model,
            if b_index == 0 { snapshots } else { 0 },
            |k, total| progress(k + done / batch * total, total * count.div_ceil(batch)),
        )?;
        let strip = (b_index == 0).then(|| {
            let ts = sampler.timesteps();
            Strip {
                t: sampler
                    .snapshot_steps(snapshots)
                    .iter()
                    .map(|&k| ts[k])
                    .collect(),
                snapshots: &snaps,
            }
        });
        on_batch(done, &fin, strip)?;
        done += n;
        b_index += 1;
    }
    Ok(())
}
