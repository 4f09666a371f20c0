//! A small timing harness shared by `benches/` (harness = false). GPU time comes from
//! timestamp queries where a hardware adapter has `TIMESTAMP_QUERY` (two empty compute passes
//! with timestamp writes bracket the recorded work), else from the wall clock around
//! submit + wait: on CPU adapters, whose timestamps do not measure execution, and with
//! `BENCH_CLOCK=wall` (`BENCH_CLOCK=gpu` forces timestamps); each row says which clock it used.

use std::time::Instant;

use crate::gpu::{Gpu, Program};

pub struct Bencher {
    pub gpu: std::sync::Arc<Gpu>,
    /// Only groups whose name contains this run (first CLI argument).
    pub filter: Option<String>,
    /// Measuring time per case, seconds.
    pub budget: f64,
    timer: Option<GpuTimer>,
}

pub struct Measurement {
    pub median_s: f64,
    pub iters: usize,
    /// "gpu timestamps" or "wall clock".
    pub clock: &'static str,
}

/// Two timestamp queries around a program, resolved and read back after each run.
struct GpuTimer {
    queries: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    read: wgpu::Buffer,
    /// Nanoseconds per timestamp tick.
    period: f64,
}

impl GpuTimer {
    fn new(gpu: &Gpu) -> Option<GpuTimer> {
        // lavapipe reports TIMESTAMP_QUERY, but its timestamps do not bracket the execution
        // (a 274 ms training step profiled to 13 ms), so CPU adapters default to the wall
        // clock. BENCH_CLOCK=wall|gpu overrides the default.
        let clock = std::env::var("BENCH_CLOCK").unwrap_or_default();
        let wall = clock == "wall" || (gpu.is_cpu() && clock != "gpu");
        if wall || !gpu.features.contains(wgpu::Features::TIMESTAMP_QUERY) {
            return None;
        }
        Some(GpuTimer {
            queries: gpu.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("bench timestamps"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            }),
            resolve: gpu.create_buffer(
                "bench timestamps",
                16,
                wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            ),
            read: gpu.create_buffer(
                "bench timestamps readback",
                16,
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            ),
            period: gpu.queue.get_timestamp_period() as f64,
        })
    }

    /// GPU seconds between the start of the work `encode` records and its end.
    fn time(&self, gpu: &Gpu, encode: impl FnOnce(&mut wgpu::CommandEncoder)) -> f64 {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        let mark = |enc: &mut wgpu::CommandEncoder, begin, end| {
            drop(enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("bench timestamp"),
                timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                    query_set: &self.queries,
                    beginning_of_pass_write_index: begin,
                    end_of_pass_write_index: end,
                }),
            }));
        };
        mark(&mut enc, Some(0), None);
        encode(&mut enc);
        mark(&mut enc, None, Some(1));
        enc.resolve_query_set(&self.queries, 0..2, &self.resolve, 0);
        enc.copy_buffer_to_buffer(&self.resolve, 0, &self.read, 0, 16);
        gpu.queue.submit([enc.finish()]);
        self.read.map_async(wgpu::MapMode::Read, .., |_| {});
        gpu.wait().expect("GPU wait");
        let ticks: [u64; 2] = {
            let view = self.read.get_mapped_range(..).expect("mapped timestamps");
            bytemuck::pod_read_unaligned(&view[..16])
        };
        self.read.unmap();
        ticks[1].saturating_sub(ticks[0]) as f64 * self.period * 1e-9
    }
}

impl Bencher {
    pub fn from_args() -> Self {
        let gpu = Gpu::new().expect("benches need a GPU adapter");
        let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
        let budget = std::env::var("BENCH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.5);
        println!("adapter: {}", gpu.describe());
        let timer = GpuTimer::new(&gpu);
        println!(
            "timing: {} (median of repeats)",
            if timer.is_some() {
                "GPU timestamp queries around the recorded work"
            } else {
                "wall clock around submit + wait (CPU adapter, no TIMESTAMP_QUERY, or BENCH_CLOCK=wall)"
            }
        );
        Self {
            gpu,
            filter,
            budget,
            timer,
        }
    }

    pub fn enabled(&self, group: &str) -> bool {
        self.filter.as_deref().is_none_or(|f| group.contains(f))
    }

    /// Time `prog`; one warm-up, then repeats until the budget is spent (at least 3).
    pub fn time(&self, prog: &Program) -> Measurement {
        prog.run(&self.gpu);
        let mut samples = Vec::new();
        let start = Instant::now();
        while samples.len() < 3
            || (start.elapsed().as_secs_f64() < self.budget && samples.len() < 1000)
        {
            match &self.timer {
                Some(timer) => samples.push(timer.time(&self.gpu, |enc| prog.encode(enc))),
                None => {
                    let t = Instant::now();
                    prog.run(&self.gpu);
                    samples.push(t.elapsed().as_secs_f64());
                }
            }
        }
        samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
        Measurement {
            median_s: samples[samples.len() / 2],
            iters: samples.len(),
            clock: clock_name(self.timer.is_some()),
        }
    }

    /// Time and print one row: flops and bytes give GFLOP/s and GB/s (0 to omit).
    pub fn report(
        &self,
        group: &str,
        case: &str,
        prog: &Program,
        flops: f64,
        bytes: f64,
    ) -> Measurement {
        let m = self.time(prog);
        let mut line = format!("{group:<24} {case:<40} {:>10.3} ms", m.median_s * 1e3);
        if flops > 0.0 {
            line += &format!("  {:>8.2} GFLOP/s", flops / m.median_s / 1e9);
        }
        if bytes > 0.0 {
            line += &format!("  {:>8.2} GB/s", bytes / m.median_s / 1e9);
        }
        println!("{line}  ({} runs, {})", m.iters, m.clock);
        m
    }

    /// Batch size for benches: the seed's 128 on a GPU, 8 on a CPU adapter.
    pub fn batch(&self) -> usize {
        if self.gpu.is_cpu() {
            8
        } else {
            128
        }
    }
}

fn clock_name(timestamps: bool) -> &'static str {
    if timestamps {
        "gpu timestamps"
    } else {
        "wall clock"
    }
}

/// Where a recorded program spends its time: each command submitted and waited on alone,
/// summed by dispatch label (serialising removes overlap, so the total exceeds a real step).
/// Timed by GPU timestamp queries where the adapter has them, else by the wall clock around
/// submit + wait; the label of each entry ends in the clock used, e.g. `conv2d [wall clock]`.
pub fn profile(gpu: &Gpu, prog: &Program, repeats: usize) -> Vec<(String, f64, usize)> {
    use crate::gpu::Command;
    let timer = GpuTimer::new(gpu);
    let clock = clock_name(timer.is_some());
    let mut by_label: Vec<(String, f64, usize)> = Vec::new();
    for _ in 0..repeats.max(1) {
        for cmd in &prog.commands {
            let label = match cmd {
                Command::Dispatch(d) => d.label.to_string(),
                Command::Clear { .. } => "clear_buffer".into(),
                Command::Copy { .. } => "copy".into(),
            };
            let label = format!("{label} [{clock}]");
            let dt = match &timer {
                Some(timer) => timer.time(gpu, |enc| encode_one(cmd, enc)),
                None => {
                    let mut enc = gpu.device.create_command_encoder(&Default::default());
                    encode_one(cmd, &mut enc);
                    let t = Instant::now();
                    gpu.queue.submit([enc.finish()]);
                    gpu.wait().expect("GPU wait");
                    t.elapsed().as_secs_f64()
                }
            };
            match by_label.iter_mut().find(|e| e.0 == label) {
                Some(e) => {
                    e.1 += dt;
                    e.2 += 1;
                }
                None => by_label.push((label, dt, 1)),
            }
        }
    }
    for e in &mut by_label {
        e.1 /= repeats.max(1) as f64;
        e.2 /= repeats.max(1);
    }
    by_label.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap());
    by_label
}

fn encode_one(cmd: &crate::gpu::Command, enc: &mut wgpu::CommandEncoder) {
    use crate::gpu::Command;
    match cmd {
        Command::Dispatch(d) => {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(&d.pipeline);
            pass.set_bind_group(0, &d.bind_group, &[]);
            pass.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
        }
        Command::Clear { buf, offset, size } => enc.clear_buffer(buf, *offset, Some(*size)),
        Command::Copy { src, dst } => {
            enc.copy_buffer_to_buffer(&src.buf, src.offset, &dst.buf, dst.offset, src.bytes())
        }
    }
}
