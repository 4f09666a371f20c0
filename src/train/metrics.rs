//! `metrics.csv` of a run folder: one row per loss read back, kept across resumes. Opening
//! rewrites the kept rows atomically (temporary file, fsync, rename); rows are then
//! appended one line per write, and [`Metrics::sync`] flushes them to disk before each
//! checkpoint.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// The columns of metrics.csv. A loss row leaves the quality columns empty; a quality row
/// (`train --quality-every`) leaves loss and images/s empty.
pub const HEADER: &str = "step,loss,images_per_s,elapsed_s,frechet,coverage,confidence";

/// metrics.csv: appended as losses are read back.
pub struct Metrics {
    file: std::fs::File,
}

impl Metrics {
    pub fn open(dir: &Path, resume_step: u64) -> Result<Metrics> {
        let path = dir.join("metrics.csv");
        // On resume keep rows up to the checkpoint's step, drop any later ones.
        let kept: Vec<String> = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .filter(|l| {
                l.split(',')
                    .next()
                    .and_then(|s| s.parse::<u64>().ok())
                    .is_some_and(|s| s <= resume_step)
            })
            .map(str::to_string)
            .collect();
        let mut text = format!("{HEADER}\n");
        for l in kept {
            text.push_str(&l);
            text.push('\n');
        }
        crate::checkpoint::write_atomic(&path, text.as_bytes())?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .with_context(|| format!("could not append to {}", path.display()))?;
        Ok(Metrics { file })
    }

    /// Flush appended rows to disk.
    pub fn sync(&mut self) -> Result<()> {
        self.file.sync_data().context("could not sync metrics.csv")
    }

    pub fn row(&mut self, step: u64, loss: f32, ips: f64, elapsed: f64) -> Result<()> {
        writeln!(self.file, "{step},{loss},{ips:.2},{elapsed:.2},,,")?;
        Ok(())
    }

    /// A quality row: Frechet distance, covered classes and mean confidence at `step`.
    pub fn quality_row(
        &mut self,
        step: u64,
        elapsed: f64,
        frechet: f64,
        covered: usize,
        confidence: f64,
    ) -> Result<()> {
        writeln!(
            self.file,
            "{step},,,{elapsed:.2},{frechet:.4},{covered},{confidence:.4}"
        )?;
        Ok(())
    }
}

/// The (step, frechet) pairs of the quality rows of an existing metrics.csv.
pub fn read_quality(path: &Path) -> Vec<(u64, f64)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((f.first()?.parse().ok()?, f.get(4)?.parse().ok()?))
        })
        .collect()
}

/// The (step, loss) columns of the loss rows of an existing metrics.csv (empty if none).
pub fn read_curve(path: &Path) -> Vec<(u64, f32)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut it = l.split(',');
            Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
        })
        .collect()
}
