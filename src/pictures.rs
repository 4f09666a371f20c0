//! PNG output: sample grids, progression strips and the loss curve.

use std::path::Path;

use anyhow::{Context, Result};

/// Tile `images` (each c x h x w in [-1, 1]) into a grid `cols` wide with a 2-pixel gap.
pub fn grid(images: &[Vec<f32>], c: usize, h: usize, w: usize, cols: usize) -> image::RgbImage {
    let cols = cols.max(1).min(images.len().max(1));
    let rows = images.len().div_ceil(cols).max(1);
    let gap = 2;
    let mut out = image::RgbImage::from_pixel(
        (cols * (w + gap) + gap) as u32,
        (rows * (h + gap) + gap) as u32,
        image::Rgb([40, 40, 40]),
    );
    for (i, img) in images.iter().enumerate() {
        let (ox, oy) = (gap + (i % cols) * (w + gap), gap + (i / cols) * (h + gap));
        for y in 0..h {
            for x in 0..w {
                let px = |ch: usize| {
                    let v = img[ch.min(c - 1) * h * w + y * w + x].clamp(-1.0, 1.0);
                    ((v + 1.0) * 127.5).round() as u8
                };
                out.put_pixel(
                    (ox + x) as u32,
                    (oy + y) as u32,
                    image::Rgb([px(0), px(1), px(2)]),
                );
            }
        }
    }
    out
}

pub fn save_grid(
    path: &Path,
    images: &[Vec<f32>],
    c: usize,
    h: usize,
    w: usize,
    cols: usize,
) -> Result<()> {
    let img = grid(images, c, h, w, cols);
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )?;
    crate::checkpoint::write_atomic(path, &bytes)
        .with_context(|| format!("saving {}", path.display()))
}

/// A plain loss-vs-step plot: light grid lines every decade of loss (log scale), the raw
/// series in grey and a moving average in blue.
pub fn save_loss_curve(path: &Path, points: &[(u64, f32)]) -> Result<()> {
    let (wd, ht, m) = (640u32, 360u32, 30i64);
    let mut img = image::RgbImage::from_pixel(wd, ht, image::Rgb([255, 255, 255]));
    let pts: Vec<(u64, f32)> = points
        .iter()
        .copied()
        .filter(|p| p.1.is_finite() && p.1 > 0.0)
        .collect();
    if pts.len() >= 2 {
        let (s0, s1) = (
            pts[0].0 as f64,
            pts[pts.len() - 1].0.max(pts[0].0 + 1) as f64,
        );
        let lmin = pts
            .iter()
            .map(|p| p.1)
            .fold(f32::MAX, f32::min)
            .log10()
            .floor() as f64;
        let lmax = pts
            .iter()
            .map(|p| p.1)
            .fold(f32::MIN, f32::max)
            .log10()
            .ceil()
            .max(lmin as f32 + 1.0) as f64;
        let to_px = |s: f64, l: f64| -> (i64, i64) {
            let x = m as f64 + (s - s0) / (s1 - s0) * (wd as f64 - 2.0 * m as f64);
            let y = (ht as f64 - m as f64)
                - (l.log10() - lmin) / (lmax - lmin) * (ht as f64 - 2.0 * m as f64);
            (x as i64, y as i64)
        };
        for d in (lmin as i64)..=(lmax as i64) {
            for k in 1..10 {
                let (_, y) = to_px(s0, (k as f64) * 10f64.powi(d as i32));
                let shade = if k == 1 { 170 } else { 230 };
                line(&mut img, (m, y), (wd as i64 - m, y), [shade, shade, shade]);
            }
        }
        line(
            &mut img,
            (m, ht as i64 - m),
            (wd as i64 - m, ht as i64 - m),
            [0, 0, 0],
        );
        line(&mut img, (m, m), (m, ht as i64 - m), [0, 0, 0]);
        let win = (pts.len() / 50).max(1);
        let mut prev: Option<(i64, i64)> = None;
        let mut prev_avg: Option<(i64, i64)> = None;
        for (i, p) in pts.iter().enumerate() {
            let q = to_px(p.0 as f64, p.1 as f64);
            if let Some(a) = prev {
                line(&mut img, a, q, [190, 190, 190]);
            }
            prev = Some(q);
            let lo = i.saturating_sub(win);
            let avg = pts[lo..=i].iter().map(|p| p.1 as f64).sum::<f64>() / (i - lo + 1) as f64;
            let qa = to_px(p.0 as f64, avg);
            if let Some(a) = prev_avg {
                line(&mut img, a, qa, [30, 80, 200]);
            }
            prev_avg = Some(qa);
        }
    }
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )?;
    crate::checkpoint::write_atomic(path, &bytes)
}

fn line(img: &mut image::RgbImage, a: (i64, i64), b: (i64, i64), rgb: [u8; 3]) {
    let steps = (b.0 - a.0).abs().max((b.1 - a.1).abs()).max(1);
    for i in 0..=steps {
        let x = a.0 + (b.0 - a.0) * i / steps;
        let y = a.1 + (b.1 - a.1) * i / steps;
        if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
            img.put_pixel(x as u32, y as u32, image::Rgb(rgb));
        }
    }
}
