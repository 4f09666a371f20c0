//! `wgpu-ddpm info`: every adapter with the limits that matter here, and the one selected.

use anyhow::Result;
use clap::Args;

use super::AdapterArgs;
use crate::gpu::context;
use crate::model::nets::{self, Declare};
use crate::model::network::{NetConfig, NetKind};

#[derive(Args, Clone, Debug, Default)]
pub struct InfoArgs {
    #[command(flatten)]
    pub adapter: AdapterArgs,
    /// Run the kernel self-check on the selected adapter now (ignoring the cached verdict),
    /// print each kernel family's worst error against its bound, and store the verdict.
    #[arg(long)]
    pub check: bool,
}

pub fn info(a: &InfoArgs) -> Result<()> {
    let args = &a.adapter;
    let instance = context::instance();
    let adapters = context::list_adapters(&instance);
    if adapters.is_empty() {
        anyhow::bail!("{}", context::NO_ADAPTER_HELP);
    }
    for (i, a) in adapters.iter().enumerate() {
        let inf = a.get_info();
        let l = a.limits();
        println!("[{i}] {}", inf.name);
        println!(
            "    backend {:?}, type {:?}, driver {} {}",
            inf.backend, inf.device_type, inf.driver, inf.driver_info
        );
        println!(
            "    max storage binding {} MiB, max buffer {} MiB, storage buffers/stage {}, workgroup storage {} KiB",
            l.max_storage_buffer_binding_size / (1 << 20),
            l.max_buffer_size / (1 << 20),
            l.max_storage_buffers_per_shader_stage,
            l.max_compute_workgroup_storage_size / 1024
        );
        println!(
            "    workgroup size max ({}, {}, {}), invocations {}, workgroups/dim {}",
            l.max_compute_workgroup_size_x,
            l.max_compute_workgroup_size_y,
            l.max_compute_workgroup_size_z,
            l.max_compute_invocations_per_workgroup,
            l.max_compute_workgroups_per_dimension
        );
        let f = a.features();
        println!(
            "    timestamp queries: {}, shader f16: {}, subgroups: {} (size {}..{})",
            f.contains(wgpu::Features::TIMESTAMP_QUERY),
            f.contains(wgpu::Features::SHADER_F16),
            f.contains(wgpu::Features::SUBGROUP),
            inf.subgroup_min_size,
            inf.subgroup_max_size
        );
        println!(
            "    conv kernels would use: {:?} weight sharing, max texture {} px, {} layers",
            crate::gpu::Spread::best_for(a),
            l.max_texture_dimension_2d,
            l.max_texture_array_layers
        );
    }
    let gpu = crate::gpu::Gpu::with_choice(&args.choice())?;
    println!("selected: {}", gpu.describe());
    println!(
        "conv kernel path: {:?} ({})",
        gpu.spread,
        match gpu.spread {
            crate::gpu::Spread::Subgroup =>
                "weights loaded once per lane, shared by subgroup shuffles",
            crate::gpu::Spread::Plain => "no subgroups of 8+ lanes: every lane loads its weights",
        }
    );
    println!("{}", dx12_line(&gpu));
    if a.check {
        return check(&gpu);
    }
    println!("networks (train --net NAME; parameters on the seed's image, at the seed's widths and at the CPU default widths):");
    for kind in NetKind::ALL {
        let (c, size) = kind.seed_image();
        let count = |channels: Vec<usize>| {
            let cfg = NetConfig {
                channels,
                ..NetConfig::for_net(kind, c, size)
            };
            let mut d = Declare::new(&gpu);
            nets::declare(&cfg, &mut d);
            d.params.count()
        };
        println!(
            "  {}  {}\n           {c}x{size}x{size}: {} parameters (widths {:?}); {} at CPU widths {:?}",
            kind.name(),
            kind.about(),
            count(nets::defaults(kind).0),
            nets::defaults(kind).0,
            count(nets::cpu_channels(kind)),
            nets::cpu_channels(kind),
        );
    }
    Ok(())
}

/// `info --check`: every family's worst comparison, its bound and its time; stores the
/// verdict, and fails (exit status 1) with the refusal message when a family failed.
fn check(gpu: &crate::gpu::Gpu) -> Result<()> {
    use crate::selfcheck;
    let start = std::time::Instant::now();
    let outcomes = selfcheck::run(
        gpu,
        None,
        std::env::var(selfcheck::SABOTAGE_ENV).ok().as_deref(),
    );
    println!("self-check on {}:", selfcheck::describe_adapter(gpu));
    for o in &outcomes {
        println!(
            "  {:<26} {:<4} {:>7.0} ms  {}",
            o.family,
            if o.passed() { "ok" } else { "FAIL" },
            o.time.as_secs_f64() * 1e3,
            o.summary()
        );
    }
    let secs = start.elapsed().as_secs_f64();
    println!("self-check: {} families in {secs:.1} s", outcomes.len());
    let verdict = selfcheck::verdict(gpu, &outcomes);
    if std::env::var_os(selfcheck::SABOTAGE_ENV).is_none() {
        selfcheck::cache::store(&selfcheck::cache::key(gpu), &verdict, secs);
    }
    if !verdict.passed {
        anyhow::bail!("{}", verdict.message);
    }
    Ok(())
}

/// Which DX12 shader compiler was asked for and, on a DX12 adapter, which one is in effect.
/// wgpu does not report the compiler it loaded, but subgroups need shader model 6, which only
/// DXC compiles: a DX12 adapter offering them runs DXC.
fn dx12_line(gpu: &crate::gpu::Gpu) -> String {
    let asked = match context::dx12_compiler() {
        wgpu::Dx12Compiler::Auto => {
            "auto (static DXC if linked, else dxcompiler.dll on the PATH, else FXC)".to_string()
        }
        other => format!("{other:?}"),
    };
    let mut line = format!(
        "DX12 shader compiler asked for: {asked} (env {})",
        context::DX12_COMPILER_ENV
    );
    if gpu.info.backend == wgpu::Backend::Dx12 {
        line += if gpu.adapter.features().contains(wgpu::Features::SUBGROUP) {
            "; in effect: DXC (the adapter offers subgroups, which need shader model 6)"
        } else {
            "; in effect: FXC, or DXC on a GPU without subgroups (no shader model 6 subgroups: \
             install dxcompiler.dll from Microsoft's DirectXShaderCompiler releases for the Subgroup path)"
        };
    }
    line
}
