//! A small timing harness shared by `benches/` (harness = false). GPU time comes from
//! timestamp queries where the adapter has them, else from the wall clock around
//! submit + wait; each row says which.

use std::time::Instant;

use crate::gpu::{Gpu, Program};

pub struct Bencher {
    pub gpu: std::sync::Arc<Gpu>,
    /// Only groups whose name contains this run (first CLI argument).
    pub filter: Option<String>,
    /// Measuring time per case, seconds.
    pub budget: f64,
}

pub struct Measurement {
    pub median_s: f64,
    pub iters: usize,
}

impl Bencher {
    pub fn from_args() -> Self {
        let gpu = Gpu::new().expect("benches need a GPU adapter");
        let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
        let budget = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(0.5);
        println!("adapter: {}", gpu.describe());
        println!("timing: wall clock around submit + wait (median of repeats)");
        Self { gpu, filter, budget }
    }

    pub fn enabled(&self, group: &str) -> bool {
        self.filter.as_deref().is_none_or(|f| group.contains(f))
    }

    /// Time `prog`; one warm-up, then repeats until the budget is spent (at least 3).
    pub fn time(&self, prog: &Program) -> Measurement {
        prog.run(&self.gpu);
        let mut samples = Vec::new();
        let start = Instant::now();
        while samples.len() < 3 || (start.elapsed().as_secs_f64() < self.budget && samples.len() < 1000) {
            let t = Instant::now();
            prog.run(&self.gpu);
            samples.push(t.elapsed().as_secs_f64());
        }
        samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
        Measurement { median_s: samples[samples.len() / 2], iters: samples.len() }
    }

    /// Time and print one row: flops and bytes give GFLOP/s and GB/s (0 to omit).
    pub fn report(&self, group: &str, case: &str, prog: &Program, flops: f64, bytes: f64) -> Measurement {
        let m = self.time(prog);
        let mut line = format!("{group:<24} {case:<40} {:>10.3} ms", m.median_s * 1e3);
        if flops > 0.0 {
            line += &format!("  {:>8.2} GFLOP/s", flops / m.median_s / 1e9);
        }
        if bytes > 0.0 {
            line += &format!("  {:>8.2} GB/s", bytes / m.median_s / 1e9);
        }
        println!("{line}  ({} runs)", m.iters);
        m
    }

    /// Batch size for benches: the seed's 128 on a GPU, 8 on a CPU adapter.
    pub fn batch(&self) -> usize {
        if self.gpu.is_cpu() { 8 } else { 128 }
    }
}
