//! The evaluator: the training forward pass and loss, scored with BatchNorm in evaluation
//! mode and no backward, at fixed seeds. The loss is the plain MSE against the network's own
//! target (`Model::prediction`: eps, x0 or v), without min-SNR weights, so runs with and
//! without weighting compare.

use std::sync::Arc;

use anyhow::{bail, Result};

use super::check_fits;
use crate::data::Dataset;
use crate::diffusion::schedule::Schedule;
use crate::gpu::{Gpu, GpuTensor, Program};
use crate::kernels::add_noise;
use crate::model::graph::Graph;
use crate::model::network::Model;

/// A U-Net's recorded loss on one batch: add noise, forward, MSE against its target.
pub struct Evaluator {
    gpu: Arc<Gpu>,
    batch: usize,
    x0: GpuTensor,
    rng_state: GpuTensor,
    loss: GpuTensor,
    program: Program,
}

impl Evaluator {
    /// Record the evaluation step of `net` for batches of `batch` images; with `fixed_t`
    /// every image is noised to that timestep instead of a random one.
    pub fn new(
        gpu: &Arc<Gpu>,
        net: &Model,
        schedule: &Schedule,
        batch: usize,
        fixed_t: Option<usize>,
    ) -> Result<Self> {
        check_fits(gpu, &net.cfg, batch)?;
        let (c, s) = (net.cfg.image_channels, net.cfg.image_size);
        let shape = [batch, c, s, s];
        let (x0, xt, eps, t) = (
            gpu.zeros(&shape),
            gpu.zeros(&shape),
            gpu.zeros(&shape),
            gpu.zeros(&[batch]),
        );
        let mut table_data = schedule.gpu_table();
        // A fixed t: every row of the table is row t, so whichever t the kernel draws it
        // noises with abar_t, and t itself is overwritten before the forward pass reads it.
        let fixed = fixed_t.map(|ft| {
            let row = table_data[ft * 4..ft * 4 + 4].to_vec();
            table_data = row.repeat(table_data.len() / 4);
            gpu.upload_u32(&vec![ft as u32; batch], &[batch])
        });
        let table = gpu.upload(&table_data, &[table_data.len()]);
        let rng_state = gpu.zeros(&[4]);
        let mut g = Graph::new(gpu, false);
        let x = g.input(xt.clone());
        // Class-conditional networks are scored unconditionally (null label).
        let null = (net.cfg.num_classes > 0)
            .then(|| gpu.upload_u32(&vec![net.cfg.num_classes as u32; batch], &[batch]));
        let out = net.forward_cond(&mut g, &x, &t, null.as_ref());
        let loss = g.mse(&out, &eps);
        let mut program = Program::new();
        // `eps` receives the network's target (the noise itself for eps-prediction).
        program.push(add_noise::add_noise_target(
            gpu,
            net.prediction,
            batch,
            c * s * s,
            None,
            &table,
            &rng_state,
            [&x0, &t, &xt, &eps],
        ));
        if let Some(f) = &fixed {
            program.copy(f, &t);
        }
        program.append(g.finish().forward);
        Ok(Evaluator {
            gpu: gpu.clone(),
            batch,
            x0,
            rng_state,
            loss,
            program,
        })
    }

    /// Sum of the per-image losses of images `start..start + batch` of `ds`, with t and eps
    /// drawn from (`seed`, `k`).
    async fn batch_loss_sum(&self, ds: &Dataset, start: usize, seed: u64, k: u64) -> f64 {
        let imgs: Vec<f32> = (start..start + self.batch)
            .flat_map(|i| ds.image(i).to_vec())
            .collect();
        self.gpu.write(&self.x0, &imgs);
        self.gpu.queue.write_buffer(
            &self.rng_state.buf,
            0,
            bytemuck::cast_slice(&[seed as u32, (seed >> 32) as u32, k as u32, 0u32]),
        );
        self.program.submit(&self.gpu);
        self.gpu.read_async(&self.loss).await[0] as f64 * self.batch as f64
    }
}

/// Mean loss (MSE against the network's target) over exactly the first `count` images of `ds` (at least one,
/// at most `ds.len()`): whole batches of `batch`, then one batch of the remainder, with t
/// and eps drawn from `seed` (batch k uses stream k), or every t = `fixed_t`.
#[cfg(not(target_arch = "wasm32"))]
pub fn mean_loss(
    gpu: &Arc<Gpu>,
    net: &Model,
    schedule: &Schedule,
    batch: usize,
    ds: &Dataset,
    count: usize,
    seed: u64,
    fixed_t: Option<usize>,
) -> Result<f64> {
    pollster::block_on(mean_loss_async(
        gpu, net, schedule, batch, ds, count, seed, fixed_t,
    ))
}

/// [`mean_loss`] without blocking (the browser's path).
pub async fn mean_loss_async(
    gpu: &Arc<Gpu>,
    net: &Model,
    schedule: &Schedule,
    batch: usize,
    ds: &Dataset,
    count: usize,
    seed: u64,
    fixed_t: Option<usize>,
) -> Result<f64> {
    if count == 0 || count > ds.len() || batch == 0 {
        bail!(
            "evaluation needs 1..={} images and a batch of at least 1, got {count} images, batch {batch}",
            ds.len()
        );
    }
    let batch = batch.min(count);
    let (full, rest) = (count / batch, count % batch);
    let main = Evaluator::new(gpu, net, schedule, batch, fixed_t)?;
    let mut total = 0.0f64;
    for k in 0..full {
        total += main.batch_loss_sum(ds, k * batch, seed, k as u64).await;
    }
    if rest > 0 {
        let tail = Evaluator::new(gpu, net, schedule, rest, fixed_t)?;
        total += tail
            .batch_loss_sum(ds, full * batch, seed, full as u64)
            .await;
    }
    Ok(total / count as f64)
}
