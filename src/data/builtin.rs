//! The built-in dataset: procedural grayscale shapes in five easily told-apart modes
//! (disc, ring, square, cross, bars), random in position and size, deterministic by seed.
//! Needs no file and no network, and a person sees at a glance whether samples look right.

use super::Dataset;
use crate::util::host_rng::HostRng;

pub const CLASSES: [&str; 5] = ["disc", "ring", "square", "cross", "bars"];

pub fn generate(size: usize, count: usize, seed: u64) -> Dataset {
    let mut rng = HostRng::new(seed ^ 0xB1_17_1E);
    let mut pixels = Vec::with_capacity(count * size * size);
    let mut labels = Vec::with_capacity(count);
    for _ in 0..count {
        let class = rng.below(CLASSES.len() as u64) as u32;
        pixels.extend(render(class, size, &mut rng));
        labels.push(class);
    }
    Dataset {
        c: 1,
        h: size,
        w: size,
        pixels,
        labels: Some(labels),
        num_classes: CLASSES.len(),
        description: format!("builtin shapes ({count} images, {size}x{size}, seed {seed})"),
    }
}

/// One image in [-1, 1]; edges are anti-aliased by 4x4 supersampling.
fn render(class: u32, size: usize, rng: &mut HostRng) -> Vec<f32> {
    let s = size as f32;
    let r = s * rng.uniform_range(0.22, 0.34);
    let cx = s * 0.5 + rng.uniform_range(-0.12, 0.12) * s;
    let cy = s * 0.5 + rng.uniform_range(-0.12, 0.12) * s;
    let thick = (s * 0.09).max(1.5);
    let inside = |x: f32, y: f32| -> bool {
        let (dx, dy) = (x - cx, y - cy);
        match class {
            0 => dx * dx + dy * dy <= r * r,
            1 => {
                let d = (dx * dx + dy * dy).sqrt();
                d <= r && d >= r - thick
            }
            2 => dx.abs() <= r * 0.85 && dy.abs() <= r * 0.85,
            3 => {
                (dx.abs() <= thick * 0.6 || dy.abs() <= thick * 0.6)
                    && dx.abs() <= r
                    && dy.abs() <= r
            }
            _ => {
                dy.abs() <= r && dx.abs() <= r && ((dy + r) / (thick * 1.6)).floor() as i32 % 2 == 0
            }
        }
    };
    let mut img = vec![0.0; size * size];
    for y in 0..size {
        for x in 0..size {
            let mut hits = 0;
            for sy in 0..4 {
                for sx in 0..4 {
                    let px = x as f32 + (sx as f32 + 0.5) / 4.0;
                    let py = y as f32 + (sy as f32 + 0.5) / 4.0;
                    hits += inside(px, py) as u32;
                }
            }
            img[y * size + x] = hits as f32 / 16.0 * 2.0 - 1.0;
        }
    }
    img
}
