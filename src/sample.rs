//! Sampling a trained U-Net: BatchNorm in evaluation mode, the whole chain recorded on the
//! GPU with no CPU wait between steps.

use anyhow::Result;

use crate::diffusion::sampler::{Sampler, SamplerConfig};
use crate::diffusion::schedule::Schedule;
use std::sync::Arc;

use crate::gpu::Gpu;
use crate::model::graph::Graph;
use crate::model::unet::UNet;

pub struct Samples {
    /// Final images, each c*h*w in [-1, 1].
    pub images: Vec<Vec<f32>>,
    /// Per snapshot (x_T .. x_0), the images of the first batch.
    pub strip: Vec<Vec<Vec<f32>>>,
}

/// Draw `count` images in batches of `batch`; `progress(done_steps, total_steps)`.
pub fn sample(
    gpu: &Arc<Gpu>,
    net: &UNet,
    schedule: &Schedule,
    cfg: &SamplerConfig,
    count: usize,
    batch: usize,
    snapshots: usize,
    mut progress: impl FnMut(usize, usize),
) -> Result<Samples> {
    let (c, s) = (net.cfg.image_channels, net.cfg.image_size);
    let chw = c * s * s;
    let batch = batch.clamp(1, count.max(1));
    let mut images = Vec::new();
    let mut strip = Vec::new();
    let mut b_index = 0u64;
    while images.len() < count {
        let n = batch.min(count - images.len());
        let x = gpu.zeros(&[n, c, s, s]);
        let t = gpu.zeros(&[n]);
        let mut g = Graph::new(gpu, false);
        let xin = g.input(x.clone());
        let out = net.forward(&mut g, &xin, &t);
        let mut bcfg = cfg.clone();
        bcfg.seed = cfg.seed.wrapping_add(b_index.wrapping_mul(0x9E37_79B9));
        let sampler = Sampler::new(gpu, schedule, bcfg, n, chw, &x, &t, &out.val)?;
        let done = images.len();
        let (fin, snaps) = sampler.run(
            &g.fwd,
            if b_index == 0 { snapshots } else { 0 },
            |k, total| progress(k + done / n * total, total * count.div_ceil(batch)),
        )?;
        images.extend(fin.chunks(chw).map(|v| v.to_vec()));
        if b_index == 0 {
            strip = snaps
                .iter()
                .map(|snap| snap.chunks(chw).map(|v| v.to_vec()).collect())
                .collect();
        }
        b_index += 1;
    }
    Ok(Samples { images, strip })
}
