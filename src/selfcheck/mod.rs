//! The self-check: before the first run on an adapter and driver, every kernel family runs
//! forward and backward on small odd shapes against its CPU reference, under bounds any
//! conformant driver meets (see [`compare`]). The verdict is cached per adapter, driver,
//! crate version and conv path ([`cache`]); a failure refuses to train, sample, evaluate or
//! fine-tune, naming the kernels, their worst error and the adapter. The check compiles its
//! pipelines into the device's pipeline cache, so the run that follows reuses them.

mod attention;
pub mod cache;
pub mod compare;
mod conv;
mod diffusion;
mod elementwise;
mod norms;

use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use crate::gpu::Gpu;
use compare::{Measure, Probe};

/// Environment variable that skips the check, as `--skip-self-check` does (for scripts).
pub const SKIP_ENV: &str = "WGPU_DDPM_SKIP_SELF_CHECK";
/// Test hook: a family name (or `all`) whose GPU results are scaled by 1.01 before they are
/// compared, to show the check refusing a broken kernel. The cache is neither read nor
/// written while it is set.
pub const SABOTAGE_ENV: &str = "WGPU_DDPM_SELF_CHECK_SABOTAGE";

/// One kernel family: a name and the check that runs its kernels.
pub struct Family {
    pub name: &'static str,
    run: fn(&mut Probe),
}

impl Family {
    const fn new(name: &'static str, run: fn(&mut Probe)) -> Family {
        Family { name, run }
    }
}

/// Every family, in the order they are printed; the slowest to compile come first, so the
/// threads that run them finish together.
pub const FAMILIES: &[Family] = &[
    // One family, so that one thread compiles the gather kernels both use.
    Family::new("conv2d_geom+conv_transpose2d", conv::geom_and_transpose),
    Family::new("conv2d", conv::conv2d),
    Family::new("conv2d edges", conv::edges),
    Family::new("attention", attention::attention),
    Family::new("batchnorm", norms::batchnorm),
    Family::new("group_norm", norms::group_norm_family),
    Family::new("layer_norm", norms::layer_norm_family),
    Family::new("linear", elementwise::linear),
    Family::new("maxpool+upsample", elementwise::pool_upsample),
    Family::new("activations", elementwise::activations),
    Family::new("add+concat+broadcast_add", elementwise::adds),
    Family::new("time_embedding", diffusion::time_embed),
    Family::new("rng", diffusion::rng),
    Family::new("add_noise", diffusion::noise),
    Family::new("denoise", diffusion::denoise_step),
    Family::new("dpm_solver", diffusion::dpm_step),
    Family::new("mse", elementwise::mse),
    Family::new("adam+ema", diffusion::optimiser),
];

/// One family's comparisons (or the panic its kernels raised) and its time.
#[derive(Debug)]
pub struct Outcome {
    pub family: &'static str,
    pub measures: Vec<Measure>,
    pub panic: Option<String>,
    pub time: Duration,
}

impl Outcome {
    /// The comparison furthest from its bound (largest error / bound).
    pub fn worst(&self) -> Option<&Measure> {
        let ratio = |m: &Measure| {
            if m.bound > 0.0 {
                m.err / m.bound
            } else if m.err > 0.0 {
                f64::INFINITY
            } else {
                0.0
            }
        };
        self.measures
            .iter()
            .max_by(|a, b| ratio(a).total_cmp(&ratio(b)))
    }

    pub fn passed(&self) -> bool {
        self.panic.is_none()
            && !self.measures.is_empty()
            && self.measures.iter().all(Measure::passed)
    }

    /// "conv2d forward: error 1.2e-7, bound 6.1e-5" or the panic.
    pub fn summary(&self) -> String {
        match (&self.panic, self.worst()) {
            (Some(p), _) => format!("the kernels failed to run: {p}"),
            (None, Some(m)) => format!("{}: error {:.2e}, bound {:.2e}", m.what, m.err, m.bound),
            (None, None) => "no comparison ran".to_string(),
        }
    }
}

/// Runs the families (every one, or only `only`) on `gpu`; `sabotage` names the family to
/// break on purpose (`all` breaks every one). Families run on as many threads as there are
/// cores, the slowest (the convs, whose pipelines take longest to compile) first, since
/// pipeline compilation is most of the cost and drivers compile on the calling thread.
pub fn run(gpu: &Gpu, only: Option<&str>, sabotage: Option<&str>) -> Vec<Outcome> {
    let chosen: Vec<(usize, &Family)> = FAMILIES
        .iter()
        .enumerate()
        .filter(|(_, f)| only.is_none_or(|o| o == f.name))
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(Vec::with_capacity(chosen.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads.min(chosen.len()) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&(i, f)) = chosen.get(k) else { break };
                let broken = sabotage.is_some_and(|s| s == f.name || s == "all");
                let outcome = run_one(gpu, i, f, broken);
                done.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((i, outcome));
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, o)| o).collect()
}

/// One family, with a panic of its launchers (a shape check, a driver error) caught and
/// reported as its failure.
fn run_one(gpu: &Gpu, i: usize, f: &Family, broken: bool) -> Outcome {
    let start = Instant::now();
    let mut probe = Probe::new(gpu, 0x5e1f_c0de + i as u64, broken);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (f.run)(&mut probe)));
    let panic = result.err().map(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".to_string())
    });
    Outcome {
        family: f.name,
        measures: probe.measures,
        panic,
        time: start.elapsed(),
    }
}

/// "'llvmpipe (LLVM 15.0.6, 256 bits)' (Vulkan, driver llvmpipe, Mesa 22.3.6; conv path
/// Subgroup)".
pub fn describe_adapter(gpu: &Gpu) -> String {
    let i = &gpu.info;
    format!(
        "'{}' ({:?}, driver {} {}; conv path {:?})",
        i.name, i.backend, i.driver, i.driver_info, gpu.spread
    )
}

/// The refusal for failed `outcomes`, naming each failing family and what to do.
pub fn failure_message(gpu: &Gpu, outcomes: &[Outcome]) -> String {
    let mut msg = format!(
        "the kernel self-check failed on adapter {}: results on it would be wrong, so nothing was run.\n",
        describe_adapter(gpu)
    );
    for o in outcomes.iter().filter(|o| !o.passed()) {
        msg.push_str(&format!("  {}: {}\n", o.family, o.summary()));
    }
    msg.push_str(&format!(
        "Please report this (with the output of `wgpu-ddpm info --check`) to the wgpu-ddpm issue tracker; \
updating the GPU driver or picking another adapter (--adapter, --backend) may help. \
To run anyway, at your own risk, pass --skip-self-check or set {SKIP_ENV}=1."
    ));
    msg
}

/// The gate every command that runs kernels passes: Ok when the check passed on this adapter
/// (now or in an earlier run, from the cache) or was skipped; else the refusal.
pub fn ensure(gpu: &Gpu, skip: bool) -> Result<()> {
    let skip = skip || std::env::var(SKIP_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
    if skip {
        eprintln!("note: the kernel self-check was skipped (--skip-self-check or {SKIP_ENV})");
        return Ok(());
    }
    let sabotage = std::env::var(SABOTAGE_ENV).ok().filter(|s| !s.is_empty());
    let key = cache::key(gpu);
    if sabotage.is_none() {
        if let Some(v) = cache::load(&key) {
            if v.passed {
                return Ok(());
            }
            bail!(
                "{} (verdict cached; `wgpu-ddpm info --check` runs the check again)",
                v.message
            );
        }
    }
    eprintln!(
        "checking every kernel on adapter {} against its CPU reference (once per adapter and driver)...",
        describe_adapter(gpu)
    );
    let start = Instant::now();
    let outcomes = run(gpu, None, sabotage.as_deref());
    let verdict = verdict(gpu, &outcomes);
    if sabotage.is_none() {
        cache::store(&key, &verdict, start.elapsed().as_secs_f64());
    }
    if !verdict.passed {
        bail!("{}", verdict.message);
    }
    eprintln!(
        "self-check passed in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The verdict of a run of every family.
pub fn verdict(gpu: &Gpu, outcomes: &[Outcome]) -> cache::Verdict {
    let passed = outcomes.iter().all(Outcome::passed);
    cache::Verdict {
        passed,
        message: if passed {
            String::new()
        } else {
            failure_message(gpu, outcomes)
        },
    }
}
