//! Training charts drawn with `plotters`: the loss against step on a log scale (raw and
//! smoothed), titled with the run, and the sample-quality number below it when one was logged.

use std::path::Path;

use anyhow::{anyhow, Result};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

use super::{register_font, save_png, FONT};

/// Chart size in pixels (width, height of one panel).
const PANEL: (u32, u32) = (800, 420);
const RAW: RGBColor = RGBColor(180, 180, 180);
const SMOOTH: RGBColor = RGBColor(30, 80, 200);
const QUALITY: RGBColor = RGBColor(200, 70, 30);

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing the chart: {e}")
}

/// Moving average over a centred window of about 1/25 of the series (at least 1 point).
pub fn smooth(ys: &[f64]) -> Vec<f64> {
    let half = ys.len() / 50;
    (0..ys.len())
        .map(|i| {
            let (lo, hi) = (i.saturating_sub(half), (i + half + 1).min(ys.len()));
            ys[lo..hi].iter().sum::<f64>() / (hi - lo) as f64
        })
        .collect()
}

/// A tick value with about three significant digits (0.0123, 0.5, 12.3, 1500).
pub fn tick(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (2 - v.abs().log10().floor() as i32).clamp(0, 8) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Tick values of a log axis over [lo, hi]: 1, 2 and 5 times the powers of ten inside it,
/// or every 1..9 multiple when that gives fewer than four.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let pick = |mults: &[f64]| -> Vec<f64> {
        let (d0, d1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        (d0..=d1)
            .flat_map(|d| mults.iter().map(move |m| m * 10f64.powi(d)))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let ticks = pick(&[1.0, 2.0, 5.0]);
    if ticks.len() >= 4 {
        ticks
    } else {
        pick(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    }
}

/// Loss (and, if `quality` is not empty, the quality number) against step, written as PNG.
/// `title` names the run; `quality_name` labels the second panel's y axis.
pub fn save_training_chart(
    path: &Path,
    title: &str,
    loss: &[(u64, f32)],
    quality_name: &str,
    quality: &[(u64, f64)],
) -> Result<()> {
    register_font();
    let panels = if quality.is_empty() { 1 } else { 2 };
    let (w, h) = (PANEL.0, PANEL.1 * panels + 30);
    let mut raw = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut raw, (w, h)).into_drawing_area();
        let root = root.titled(title, (FONT, 20).into_font()).map_err(err)?;
        let (top, bottom) = if panels == 2 {
            let (a, b) = root.split_vertically(PANEL.1);
            (a, Some(b))
        } else {
            (root, None)
        };
        let pts: Vec<(u64, f64)> = loss
            .iter()
            .filter(|p| p.1.is_finite() && p.1 > 0.0)
            .map(|p| (p.0, p.1 as f64))
            .collect();
        draw_series(&top, "loss (log scale)", &pts, true, SMOOTH)?;
        if let Some(b) = bottom {
            draw_series(&b, quality_name, quality, false, QUALITY)?;
        }
        top.present().map_err(err)?;
    }
    let img = image::RgbImage::from_raw(w, h, raw).expect("chart buffer size");
    save_png(path, &img)
}

/// One panel: the raw points in grey with their smoothed line (`smoothed`), or the points
/// joined and marked (a sparse series such as the quality number).
fn draw_series<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    y_name: &str,
    pts: &[(u64, f64)],
    log_y: bool,
    color: RGBColor,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let label = (FONT, 15).into_font();
    if pts.is_empty() {
        area.draw_text(
            &format!("{y_name}: no points logged yet"),
            &TextStyle::from(label.clone()),
            (60, 60),
        )
        .map_err(err)?;
        return Ok(());
    }
    let x0 = pts[0].0;
    let x1 = pts[pts.len() - 1].0.max(x0 + 1);
    let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let lo = ys.iter().copied().fold(f64::MAX, f64::min);
    let hi = ys.iter().copied().fold(f64::MIN, f64::max);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70);
    if log_y {
        let (lo, hi) = (lo * 0.9, (hi * 1.1).max(lo * 1.5));
        let mut chart = builder
            .build_cartesian_2d(
                x0..x1,
                (lo..hi).log_scale().with_key_points(log_ticks(lo, hi)),
            )
            .map_err(err)?;
        mesh(&mut chart, y_name, &label)?;
        let sm = smooth(&ys);
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), &RAW))
            .map_err(err)?
            .label("per step")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RAW));
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| p.0).zip(sm),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label("smoothed")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        legend(&mut chart, &label)?;
    } else {
        let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.05).max(1e-6);
        let mut chart = builder
            .build_cartesian_2d(x0..x1, (lo - pad)..(hi + pad))
            .map_err(err)?;
        mesh(&mut chart, y_name, &label)?;
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(err)?;
        chart
            .draw_series(pts.iter().map(|p| Circle::new(*p, 4, color.filled())))
            .map_err(err)?;
    }
    Ok(())
}

fn mesh<'a, DB: DrawingBackend + 'a, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordu64, Y>>,
    y_name: &str,
    label: &FontDesc<'_>,
) -> Result<()>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    DB::ErrorType: 'static,
{
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc(y_name)
        .axis_desc_style(label.clone())
        .label_style((FONT, 13).into_font())
        .y_label_formatter(&|v| tick(*v))
        .light_line_style(RGBColor(238, 238, 238))
        .max_light_lines(4)
        .draw()
        .map_err(err)?;
    Ok(())
}

fn legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    label: &FontDesc<'_>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(label.clone())
        .draw()
        .map_err(err)?;
    Ok(())
}
