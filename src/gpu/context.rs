//! GPU context: adapter choice, device, queue, pipeline cache and buffer helpers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};

use super::pipelines::PipelineCache;
use super::spread::Spread;
use super::tensor::GpuTensor;

/// Environment variable that picks an adapter by (case-insensitive) name substring.
pub const ADAPTER_ENV: &str = "WGPU_DDPM_ADAPTER";
/// Environment variable that picks a backend: vulkan, metal, dx12, gl.
pub const BACKEND_ENV: &str = "WGPU_DDPM_BACKEND";

/// How the user asked us to choose an adapter (flags win over environment variables).
#[derive(Clone, Debug, Default)]
pub struct AdapterChoice {
    pub name: Option<String>,
    pub backend: Option<String>,
    /// Force a kernel path (tests run both); `None` picks the best the adapter has.
    pub spread: Option<Spread>,
}

impl AdapterChoice {
    pub fn from_env() -> Self {
        Self {
            name: std::env::var(ADAPTER_ENV).ok().filter(|s| !s.is_empty()),
            backend: std::env::var(BACKEND_ENV).ok().filter(|s| !s.is_empty()),
            spread: None,
        }
    }

    /// Flags given on the command line override the environment.
    pub fn with_overrides(mut self, name: Option<String>, backend: Option<String>) -> Self {
        if name.is_some() {
            self.name = name;
        }
        if backend.is_some() {
            self.backend = backend;
        }
        self
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn backends(&self) -> Result<wgpu::Backends> {
        match self.backend.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None => Ok(wgpu::Backends::PRIMARY),
            Some("vulkan" | "vk") => Ok(wgpu::Backends::VULKAN),
            Some("metal" | "mtl") => Ok(wgpu::Backends::METAL),
            Some("dx12" | "d3d12") => Ok(wgpu::Backends::DX12),
            Some("gl" | "gles" | "opengl") => gl_backends(),
            Some(other) => bail!(
                "unknown backend '{other}': use one of vulkan, metal, dx12, gl (flag --backend or env {BACKEND_ENV})"
            ),
        }
    }
}

/// wgpu's GL backend, which only a build with the `gles` feature has.
#[cfg(not(target_arch = "wasm32"))]
fn gl_backends() -> Result<wgpu::Backends> {
    if cfg!(feature = "gles") {
        Ok(wgpu::Backends::GL)
    } else {
        bail!("backend 'gl': this binary was built without OpenGL support; rebuild with `cargo build --features gles`")
    }
}

/// Lower is better: real GPUs first, a CPU rasteriser such as lavapipe last.
#[cfg(not(target_arch = "wasm32"))]
fn preference(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

pub const NO_ADAPTER_HELP: &str = "no usable GPU adapter was found. wgpu-ddpm needs a Vulkan, Metal or DX12 driver. \
On Linux without a GPU install Mesa's software Vulkan driver (lavapipe): \
`sudo apt-get install mesa-vulkan-drivers libvulkan1` (Debian/Ubuntu) or `sudo dnf install mesa-vulkan-drivers` (Fedora). \
Run `wgpu-ddpm info` to see what wgpu can find.";

/// wgpu's own variable that picks the DX12 shader compiler: auto, dxc, staticdxc or fxc.
pub const DX12_COMPILER_ENV: &str = "WGPU_DX12_COMPILER";

/// The DX12 shader compiler we ask for: `Auto` (statically linked DXC if built with wgpu's
/// `static-dxc` feature, else `dxcompiler.dll` found on the PATH, else FXC), unless
/// `WGPU_DX12_COMPILER` names another. FXC has no shader model 6, so no subgroups: the conv
/// kernels then take the Plain path. Other backends ignore it.
pub fn dx12_compiler() -> wgpu::Dx12Compiler {
    match std::env::var(DX12_COMPILER_ENV) {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().unwrap_or_else(|e| {
            eprintln!("warning: ignoring {DX12_COMPILER_ENV}={v} ({e}); using auto");
            wgpu::Dx12Compiler::Auto
        }),
        _ => wgpu::Dx12Compiler::Auto,
    }
}

pub fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    // wgpu's WGPU_VALIDATION / WGPU_DEBUG switches. A debug build turns both on: it loads the
    // validation layer where installed, hands the layer's messages to the `log` crate (where
    // nothing listens here), and embeds the WGSL source in its SPIR-V, which the layer's
    // SPIR-V validator on Debian 12 rejects. scripts/validation_smoke.sh sets WGPU_DEBUG=0
    // and reads the layer's own log; CI's test runs set WGPU_VALIDATION=0.
    desc.flags = desc.flags.with_env();
    desc.backend_options.dx12.shader_compiler = dx12_compiler();
    wgpu::Instance::new(desc)
}

/// Every adapter wgpu can see on the primary backends.
#[cfg(not(target_arch = "wasm32"))]
pub fn list_adapters(instance: &wgpu::Instance) -> Vec<wgpu::Adapter> {
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::PRIMARY))
}

pub struct Gpu {
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    pub features: wgpu::Features,
    /// The conv kernels' weight-sharing path on this device.
    pub spread: Spread,
    pub pipelines: PipelineCache,
    buffers_created: AtomicUsize,
    bind_groups_created: AtomicUsize,
    /// The one readback buffer, reused by every `read`; grown (a counted allocation) only
    /// when a larger tensor is read.
    pub(super) staging: std::sync::Mutex<Option<wgpu::Buffer>>,
}

impl Gpu {
    /// Adapter from `WGPU_DDPM_ADAPTER` / `WGPU_DDPM_BACKEND`, else the best one found.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new() -> Result<Arc<Gpu>> {
        Self::with_choice(&AdapterChoice::from_env())
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn with_choice(choice: &AdapterChoice) -> Result<Arc<Gpu>> {
        let backends = choice.backends()?;
        let instance = instance();
        let mut adapters: Vec<wgpu::Adapter> =
            pollster::block_on(instance.enumerate_adapters(backends));
        if adapters.is_empty() {
            bail!("{NO_ADAPTER_HELP}");
        }
        if let Some(name) = &choice.name {
            let needle = name.to_ascii_lowercase();
            let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
            adapters.retain(|a| a.get_info().name.to_ascii_lowercase().contains(&needle));
            if adapters.is_empty() {
                bail!(
                    "no adapter name contains '{name}' (flag --adapter or env {ADAPTER_ENV}); adapters found: {}",
                    names.join(", ")
                );
            }
        }
        adapters.sort_by_key(|a| preference(a.get_info().device_type));
        let adapter = adapters.remove(0);
        let info = adapter.get_info();
        if info.device_type == wgpu::DeviceType::Cpu && choice.name.is_none() {
            eprintln!(
                "note: no hardware GPU found; using the CPU adapter '{}' ({:?}), which is correct but slow",
                info.name, info.backend
            );
        }
        let spread = match (choice.spread, std::env::var(super::spread::SPREAD_ENV)) {
            (Some(s), _) => Some(s),
            (None, Ok(v)) if !v.is_empty() => Some(Spread::parse(&v)?),
            _ => None,
        };
        Self::from_adapter(adapter, spread)
    }

    /// A device on `adapter`; `spread` forces a kernel path (else the best the adapter has).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_adapter(adapter: wgpu::Adapter, spread: Option<Spread>) -> Result<Arc<Gpu>> {
        pollster::block_on(Self::open(adapter, spread))
    }

    /// `from_adapter` without blocking, as the browser needs.
    pub async fn open(adapter: wgpu::Adapter, spread: Option<Spread>) -> Result<Arc<Gpu>> {
        let info = adapter.get_info();
        let limits = adapter.limits();
        let best = Spread::best_for(&adapter);
        let spread = spread.unwrap_or(best);
        if spread == Spread::Subgroup && best != Spread::Subgroup {
            bail!(
                "adapter '{}' has no subgroups of 8 or more lanes; the subgroup kernel path cannot run on it",
                info.name
            );
        }
        let mut features = adapter.features() & wgpu::Features::TIMESTAMP_QUERY;
        if spread == Spread::Subgroup {
            features |= wgpu::Features::SUBGROUP;
        }
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("wgpu-ddpm"),
                required_features: features,
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .with_context(|| format!("could not open a device on adapter '{}'", info.name))?;
        let name = info.name.clone();
        device.set_device_lost_callback(move |reason, msg| {
            if reason != wgpu::DeviceLostReason::Destroyed {
                eprintln!(
                    "error: the GPU device '{name}' was lost ({reason:?}: {msg}). Checkpoints are written atomically, so the last one on disk is intact; restart with --resume."
                );
            }
        });
        Ok(Arc::new(Gpu {
            adapter,
            device,
            queue,
            info,
            limits,
            features,
            spread,
            pipelines: PipelineCache::new(spread),
            buffers_created: AtomicUsize::new(0),
            bind_groups_created: AtomicUsize::new(0),
            staging: std::sync::Mutex::new(None),
        }))
    }

    /// A one-line description, e.g. for benches: "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, Cpu)".
    pub fn describe(&self) -> String {
        format!(
            "{} ({:?}, {:?})",
            self.info.name, self.info.backend, self.info.device_type
        )
    }

    pub fn is_cpu(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// How many buffers and bind groups this context has created: tests use it to prove
    /// that a training step allocates nothing after the first one.
    pub fn allocation_counts(&self) -> (usize, usize) {
        (
            self.buffers_created.load(Ordering::Relaxed),
            self.bind_groups_created.load(Ordering::Relaxed),
        )
    }

    pub fn create_buffer(&self, label: &str, size: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
        self.buffers_created.fetch_add(1, Ordering::Relaxed);
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            // wgpu rejects zero-sized bindings; a 4-byte floor keeps empty tensors legal.
            size: size.max(4).next_multiple_of(4),
            usage,
            mapped_at_creation: false,
        })
    }

    /// A texture, counted like a buffer (a training step must create neither).
    pub fn create_texture(&self, desc: &wgpu::TextureDescriptor) -> wgpu::Texture {
        self.buffers_created.fetch_add(1, Ordering::Relaxed);
        self.device.create_texture(desc)
    }

    pub fn create_bind_group(&self, desc: &wgpu::BindGroupDescriptor) -> wgpu::BindGroup {
        self.bind_groups_created.fetch_add(1, Ordering::Relaxed);
        self.device.create_bind_group(desc)
    }

    /// Largest storage buffer binding, in f32 elements.
    pub fn max_binding_elems(&self) -> u64 {
        self.limits.max_storage_buffer_binding_size / 4
    }

    /// A zero-filled tensor in a buffer of its own.
    pub fn zeros(&self, shape: &[usize]) -> GpuTensor {
        let len: usize = shape.iter().product();
        let buf = self.create_buffer("tensor", len as u64 * 4, storage_usage());
        GpuTensor::new(Arc::new(buf), 0, shape)
    }

    pub fn upload(&self, data: &[f32], shape: &[usize]) -> GpuTensor {
        let t = self.zeros(shape);
        assert_eq!(
            data.len(),
            t.len(),
            "upload: data length does not match shape {shape:?}"
        );
        self.write(&t, data);
        t
    }

    pub fn upload_u32(&self, data: &[u32], shape: &[usize]) -> GpuTensor {
        let t = self.zeros(shape);
        assert_eq!(
            data.len(),
            t.len(),
            "upload_u32: data length does not match shape {shape:?}"
        );
        self.queue
            .write_buffer(&t.buf, t.offset, bytemuck::cast_slice(data));
        t
    }

    pub fn write(&self, t: &GpuTensor, data: &[f32]) {
        assert_eq!(
            data.len(),
            t.len(),
            "write: data length does not match tensor"
        );
        if !data.is_empty() {
            self.queue
                .write_buffer(&t.buf, t.offset, bytemuck::cast_slice(data));
        }
    }
}

pub fn storage_usage() -> wgpu::BufferUsages {
    wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC
}
