//! PNG output: sample grids scaled up for people (nearest neighbour, at least 64 px per
//! image) with row, column and title labels, and the training charts (`chart`).
//!
//! Text is drawn with DejaVu Sans embedded from the `dejavu` crate, so nothing depends on
//! the fonts installed on the machine.

pub mod chart;

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;

/// Smallest on-screen size of one image in a grid, in pixels.
pub const MIN_TILE_PX: usize = 64;
/// The font family name the charts and labels use (registered by [`register_font`]).
pub const FONT: &str = "sans-serif";

/// Register the embedded DejaVu Sans as [`FONT`] (idempotent).
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| panic!("the embedded DejaVu Sans font failed to parse"));
    });
}

/// Text around a grid: a title line, a label left of each row, a label above each column.
#[derive(Clone, Debug, Default)]
pub struct GridLabels {
    pub title: Option<String>,
    pub rows: Vec<String>,
    pub cols: Vec<String>,
}

/// The integer factor that brings an `h` x `w` image to at least [`MIN_TILE_PX`] pixels.
pub fn upscale_factor(h: usize, w: usize) -> usize {
    MIN_TILE_PX.div_ceil(h.min(w).max(1)).max(1)
}

/// Tile `images` (each c x h x w in [-1, 1]) into a grid `cols` wide, each image scaled up
/// by nearest neighbour to at least [`MIN_TILE_PX`] pixels, with `labels` drawn around it.
pub fn grid(
    images: &[Vec<f32>],
    c: usize,
    h: usize,
    w: usize,
    cols: usize,
    labels: &GridLabels,
) -> Result<image::RgbImage> {
    let cols = cols.max(1).min(images.len().max(1));
    let rows = images.len().div_ceil(cols).max(1);
    let k = upscale_factor(h, w);
    let (th, tw, gap) = (h * k, w * k, 4);
    let left = if labels.rows.is_empty() { 0 } else { 72 };
    let top = usize::from(labels.title.is_some()) * 24 + usize::from(!labels.cols.is_empty()) * 18;
    let width = (left + cols * (tw + gap) + gap).max(if labels.title.is_some() { 320 } else { 0 });
    let height = top + rows * (th + gap) + gap;
    let mut out =
        image::RgbImage::from_pixel(width as u32, height as u32, image::Rgb([40, 40, 40]));
    for (i, img) in images.iter().enumerate() {
        let (ox, oy) = (
            left + gap + (i % cols) * (tw + gap),
            top + gap + (i / cols) * (th + gap),
        );
        for y in 0..th {
            for x in 0..tw {
                let px = |ch: usize| {
                    let v = img[ch.min(c - 1) * h * w + (y / k) * w + x / k].clamp(-1.0, 1.0);
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
    if labels.title.is_none() && labels.rows.is_empty() && labels.cols.is_empty() {
        return Ok(out);
    }
    register_font();
    let (wd, ht) = out.dimensions();
    let mut raw = out.into_raw();
    {
        let area = BitMapBackend::with_buffer(&mut raw, (wd, ht)).into_drawing_area();
        let text = |s: &str, size: f64, x: usize, y: usize| {
            let style = TextStyle::from((FONT, size).into_font()).color(&WHITE);
            area.draw_text(s, &style, (x as i32, y as i32))
                .map_err(|e| anyhow!("drawing the label {s:?}: {e}"))
        };
        if let Some(t) = &labels.title {
            text(t, 16.0, gap + 2, 4)?;
        }
        let col_y = usize::from(labels.title.is_some()) * 24 + 2;
        for (j, s) in labels.cols.iter().enumerate().take(cols) {
            text(s, 13.0, left + gap + j * (tw + gap), col_y)?;
        }
        for (r, s) in labels.rows.iter().enumerate().take(rows) {
            text(s, 14.0, 4, top + gap + r * (th + gap) + th / 2 - 7)?;
        }
        area.present()
            .map_err(|e| anyhow!("drawing the grid labels: {e}"))?;
    }
    image::RgbImage::from_raw(wd, ht, raw).context("grid buffer has the wrong size")
}

/// Encode `img` as PNG and write it atomically.
pub fn save_png(path: &Path, img: &image::RgbImage) -> Result<()> {
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )?;
    crate::checkpoint::write_atomic(path, &bytes)
        .with_context(|| format!("saving {}", path.display()))
}
