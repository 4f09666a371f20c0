//! Command-line interface (clap). Each subcommand lives in its own function.

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use crate::gpu::context::{self, AdapterChoice, ADAPTER_ENV, BACKEND_ENV};

#[derive(Parser)]
#[command(name = "wgpu-ddpm", version, about = "DDPM training and sampling on any Vulkan / Metal / DX12 GPU")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Debug, Default)]
pub struct AdapterArgs {
    /// Pick the adapter whose name contains this text (case-insensitive).
    #[arg(long, env = ADAPTER_ENV, global = true)]
    pub adapter: Option<String>,
    /// Restrict to one backend: vulkan, metal or dx12.
    #[arg(long, env = BACKEND_ENV, global = true)]
    pub backend: Option<String>,
}

impl AdapterArgs {
    pub fn choice(&self) -> AdapterChoice {
        AdapterChoice::default().with_overrides(self.adapter.clone(), self.backend.clone())
    }
}

#[derive(Subcommand)]
enum Command {
    /// List every adapter with its backend, type, driver, and the limits that matter here.
    Info(AdapterArgs),
}

pub fn run() -> Result<()> {
    match Cli::parse().command {
        Command::Info(a) => info(&a),
    }
}

fn info(args: &AdapterArgs) -> Result<()> {
    let instance = context::instance();
    let adapters = context::list_adapters(&instance);
    if adapters.is_empty() {
        anyhow::bail!("{}", context::NO_ADAPTER_HELP);
    }
    for (i, a) in adapters.iter().enumerate() {
        let inf = a.get_info();
        let l = a.limits();
        println!("[{i}] {}", inf.name);
        println!("    backend {:?}, type {:?}, driver {} {}", inf.backend, inf.device_type, inf.driver, inf.driver_info);
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
            "    timestamp queries: {}, shader f16: {}",
            f.contains(wgpu::Features::TIMESTAMP_QUERY),
            f.contains(wgpu::Features::SHADER_F16)
        );
    }
    let gpu = crate::gpu::Gpu::with_choice(&args.choice())?;
    println!("selected: {}", gpu.describe());
    Ok(())
}
