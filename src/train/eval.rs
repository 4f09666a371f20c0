//! The evaluator: the training forward pass and loss, scored with BatchNorm in evaluation
//! mode and no backward, at fixed seeds.

use std::sync::Arc;

use anyhow::Result;

use super::check_fits;
use crate::data::Dataset;
use crate::diffusion::schedule::Schedule;
use crate::gpu::{Gpu, GpuTensor, Program};
use crate::kernels::add_noise;
use crate::model::graph::Graph;
use crate::model::unet::UNet;

/// A U-Net's recorded noise-prediction loss on one batch: add noise, forward, MSE.
pub struct Evaluator {
    gpu: Arc<Gpu>,
    batch: usize,
    x0: GpuTensor,
    rng_state: GpuTensor,
    loss: GpuTensor,
    program: Program,
}

impl Evaluator {
    /// Record the evaluation step of `net` for batches of `batch` images.
    pub fn new(gpu: &Arc<Gpu>, net: &UNet, schedule: &Schedule, batch: usize) -> Result<Self> {
        check_fits(gpu, &net.cfg, batch)?;
        let (c, s) = (net.cfg.image_channels, net.cfg.image_size);
        let shape = [batch, c, s, s];
        let (x0, xt, eps, t) = (
            gpu.zeros(&shape),
            gpu.zeros(&shape),
            gpu.zeros(&shape),
            gpu.zeros(&[batch]),
        );
        let table_data = schedule.gpu_table();
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
        program.push(add_noise::add_noise(
            gpu,
            batch,
            c * s * s,
            &table,
            &rng_state,
            &x0,
            &t,
            &xt,
            &eps,
        ));
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

    /// Mean loss over the first `count` images of `ds` (whole batches, wrapping around the
    /// dataset to fill the last one), with t and eps drawn from `seed`.
    pub fn mean_loss(&self, ds: &Dataset, count: usize, seed: u64) -> f64 {
        let (gpu, batch) = (&self.gpu, self.batch);
        let count = count.min(ds.len());
        let (mut total, mut seen) = (0.0f64, 0usize);
        let mut k = 0u64;
        while seen + batch <= count.max(batch) && seen < count {
            let imgs: Vec<f32> = (seen..seen + batch)
                .flat_map(|i| ds.image(i % ds.len()).to_vec())
                .collect();
            gpu.write(&self.x0, &imgs);
            gpu.queue.write_buffer(
                &self.rng_state.buf,
                0,
                bytemuck::cast_slice(&[seed as u32, (seed >> 32) as u32, k as u32, 0u32]),
            );
            self.program.run(gpu);
            total += gpu.read(&self.loss)[0] as f64 * batch as f64;
            seen += batch;
            k += 1;
        }
        total / seen.max(1) as f64
    }
}
