//! What a training step feeds the GPU: the images of the step (with optional horizontal
//! flips) and their labels with label dropout. Every choice is a pure function of (seed,
//! step, index in the step's batch), so a resumed run sees exactly the same batches, and a
//! step of N accumulated micro-batches of B sees what one batch of N*B would.

use crate::data::Dataset;
use crate::util::host_rng::HostRng;

/// Dataset indices of optimizer step `step` with `batch` images per step: a fresh
/// permutation of the dataset every epoch.
pub fn indices(len: usize, seed: u64, batch: usize, step: u64) -> Vec<usize> {
    let mut perm: Option<(usize, Vec<usize>)> = None;
    (0..batch)
        .map(|j| {
            let k = step as usize * batch + j;
            let (epoch, pos) = (k / len, k % len);
            if perm.as_ref().is_none_or(|p| p.0 != epoch) {
                perm = Some((epoch, permutation(len, seed, epoch as u64)));
            }
            perm.as_ref().unwrap().1[pos]
        })
        .collect()
}

/// Fisher-Yates permutation of 0..len keyed by (seed, epoch).
pub fn permutation(len: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut rng = HostRng::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ epoch);
    let mut p: Vec<usize> = (0..len).collect();
    for i in (1..len).rev() {
        p.swap(i, rng.below(i as u64 + 1) as usize);
    }
    p
}

/// `--random-flip`: whether image `index` of step `step`'s batch is mirrored left-right
/// (probability 1/2, keyed by (seed, step, index) alone).
pub fn flipped(seed: u64, step: u64, index: usize) -> bool {
    let key = seed ^ 0xF11F_0000_5EED ^ step.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    HostRng::new(key ^ (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)).uniform() < 0.5
}

/// The pixels of the images `idx` of `data`, mirrored where `flip(j)` says so for the j-th.
pub fn pixels(data: &Dataset, idx: &[usize], flip: impl Fn(usize) -> bool) -> Vec<f32> {
    let mut out = Vec::with_capacity(idx.len() * data.chw());
    for (j, &i) in idx.iter().enumerate() {
        let img = data.image(i);
        if flip(j) {
            for row in img.chunks(data.w) {
                out.extend(row.iter().rev());
            }
        } else {
            out.extend_from_slice(img);
        }
    }
    out
}

/// Class labels of the images `idx` for a network with `classes` classes (the null label is
/// `classes`): each dropped to the null label with probability `dropout`, drawn from (seed,
/// step) in batch order.
pub fn labels(
    all: &[u32],
    idx: &[usize],
    classes: usize,
    dropout: f32,
    seed: u64,
    step: u64,
) -> Vec<u32> {
    let null = classes as u32;
    let mut rng = HostRng::new(seed ^ 0x1AB3_1D40 ^ step.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    idx.iter()
        .map(|&i| {
            if rng.uniform() < dropout as f64 {
                null
            } else {
                all[i].min(null - 1)
            }
        })
        .collect()
}
