//! Memory estimates made before the large allocations of a training run, so that a size or
//! batch that cannot fit is refused with what would fit instead of aborting the process.

use anyhow::{bail, Result};

use crate::gpu::Gpu;
use crate::model::nets;
use crate::model::network::NetConfig;
use crate::util::host_memory::available_bytes;

/// An upper bound on the f32 values of one image's forward activations (each network
/// counts its own; see `nets::activations`).
pub fn activation_floats_per_image(net: &NetConfig) -> u64 {
    nets::activations(net).total
}

/// Rough bytes of device memory one training step of `batch` images needs: activations,
/// their gradients and the convolutions' packed copies (3x the forward activations).
pub fn train_bytes(net: &NetConfig, batch: usize) -> u64 {
    activation_floats_per_image(net) * batch as u64 * 4 * 3
}

/// The largest multiple of 4 (at least 4) image size whose step of `batch` images needs at
/// most `budget` bytes, or 0 when even 4x4 does not fit.
pub fn largest_size(net: &NetConfig, batch: usize, budget: u64) -> usize {
    let at = |s: usize| {
        train_bytes(
            &NetConfig {
                image_size: s,
                ..net.clone()
            },
            batch,
        )
    };
    let mut s = 0;
    while s + 4 <= net.image_size && at(s + 4) <= budget {
        s += 4;
    }
    s
}

/// On a CPU adapter device memory is host memory: refuse a run whose dataset plus training
/// step would not fit in the memory available now, naming the largest batch or image size
/// that would. (GPU memory size is not exposed by wgpu; there only the binding limit of
/// [`super::check_fits`] is checked.)
pub fn check_host_memory(gpu: &Gpu, net: &NetConfig, batch: usize, data_bytes: u64) -> Result<()> {
    let Some(avail) = available_bytes().filter(|_| gpu.is_cpu()) else {
        return Ok(());
    };
    let need = train_bytes(net, batch) + data_bytes;
    if need <= avail {
        return Ok(());
    }
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    let budget = avail.saturating_sub(data_bytes);
    let per_image = train_bytes(net, 1);
    let fix = if budget / per_image >= 1 {
        format!("the largest batch that fits is {}", budget / per_image)
    } else {
        match largest_size(net, batch, budget) {
            0 => "not even 4x4 images fit; free memory or use less data".to_string(),
            s => format!("the largest --image-size that fits at batch {batch} is {s}"),
        }
    };
    bail!(
        "{s}x{s} images at batch {batch} need about {:.1} GiB ({:.1} GiB for the training step on this CPU adapter, {:.1} GiB for the dataset) but {:.1} GiB of memory is available; {fix}",
        gib(need),
        gib(train_bytes(net, batch)),
        gib(data_bytes),
        gib(avail),
        s = net.image_size
    );
}

/// Before the built-in images (1 channel, `net.image_size` square) are made: the binding
/// limit and the host memory of a step of `batch` at that size. Sizes that are not positive
/// multiples of 4 are left to the data loader's message.
pub fn check_builtin(gpu: &Gpu, net: &NetConfig, batch: usize) -> Result<()> {
    let size = net.image_size;
    if size == 0 || !size.is_multiple_of(4) {
        return Ok(());
    }
    let net = NetConfig {
        image_channels: 1,
        ..net.clone()
    };
    super::check_fits(gpu, &net, batch)?;
    check_host_memory(gpu, &net, batch, 0)
}

/// The network's largest activation must fit one storage binding.
pub fn check_fits(gpu: &Gpu, net: &NetConfig, batch: usize) -> Result<()> {
    net.validate()?;
    let per_image = crate::model::nets::activations(net).largest;
    let limit = gpu.max_binding_elems();
    if per_image * batch as u64 > limit {
        let fix = if limit / per_image >= 1 {
            format!("the largest batch that fits is {}", limit / per_image)
        } else {
            let per_pixel = per_image * batch as u64 / (net.image_size * net.image_size) as u64;
            let s = ((limit / per_pixel) as f64).sqrt() as usize / 4 * 4;
            format!("no batch fits at {0}x{0}; the largest --image-size that fits at batch {batch} is {s}", net.image_size)
        };
        bail!(
            "batch {batch} of {}x{} images is too large for this adapter: the largest activation would need {} MiB but the adapter's max storage binding is {} MiB; {fix}",
            net.image_size,
            net.image_size,
            (per_image * batch as u64 * 4) >> 20,
            (limit * 4) >> 20,
        );
    }
    Ok(())
}
