//! A recorded list of GPU commands. Bind groups and pipelines are built when a program is
//! recorded; replaying it only encodes, so a training step creates nothing new.

use std::sync::Arc;

use super::context::Gpu;
use super::tensor::GpuTensor;
use super::uniform::Uniform;
use crate::shaders::ShaderId;

/// Threads per workgroup of the element-wise kernels (`@workgroup_size(256)` in their WGSL).
pub const WG: u32 = 256;
/// Workgroups per grid row: dimension limits are 65535, so big 1-D grids wrap into 2-D ones.
pub const GRID_ROW: u32 = 32768;

#[derive(Clone)]
pub struct Dispatch {
    pub label: &'static str,
    pub pipeline: Arc<wgpu::ComputePipeline>,
    pub bind_group: wgpu::BindGroup,
    pub groups: [u32; 3],
}

#[derive(Clone)]
pub enum Command {
    Dispatch(Dispatch),
    /// Zero a byte range (gradient buffers before a backward pass).
    Clear {
        buf: Arc<wgpu::Buffer>,
        offset: u64,
        size: u64,
    },
    Copy {
        src: GpuTensor,
        dst: GpuTensor,
    },
}

/// Clone: a gradient-accumulating training step replays its forward and backward once per
/// micro-batch.
#[derive(Clone, Default)]
pub struct Program {
    pub commands: Vec<Command>,
}

impl Program {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Dispatch) {
        self.commands.push(Command::Dispatch(d));
    }

    pub fn clear(&mut self, t: &GpuTensor) {
        self.commands.push(Command::Clear {
            buf: t.buf.clone(),
            offset: t.offset,
            size: t.bytes(),
        });
    }

    pub fn copy(&mut self, src: &GpuTensor, dst: &GpuTensor) {
        assert_eq!(
            src.len(),
            dst.len(),
            "copy between tensors of different sizes"
        );
        self.commands.push(Command::Copy {
            src: src.clone(),
            dst: dst.clone(),
        });
    }

    /// Push every dispatch a launcher returned, in order.
    pub fn extend(&mut self, dispatches: impl IntoIterator<Item = Dispatch>) {
        self.commands
            .extend(dispatches.into_iter().map(Command::Dispatch));
    }

    pub fn append(&mut self, other: Program) {
        self.commands.extend(other.commands);
    }

    pub fn dispatch_count(&self) -> usize {
        self.commands
            .iter()
            .filter(|c| matches!(c, Command::Dispatch(_)))
            .count()
    }

    /// Encode every command; consecutive dispatches share one compute pass (wgpu inserts the
    /// barriers between dispatches that read what an earlier one wrote).
    pub fn encode(&self, enc: &mut wgpu::CommandEncoder) {
        let mut i = 0;
        while i < self.commands.len() {
            match &self.commands[i] {
                Command::Dispatch(_) => {
                    let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: None,
                        timestamp_writes: None,
                    });
                    while let Some(Command::Dispatch(d)) = self.commands.get(i) {
                        pass.set_pipeline(&d.pipeline);
                        pass.set_bind_group(0, &d.bind_group, &[]);
                        pass.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
                        i += 1;
                    }
                }
                Command::Clear { buf, offset, size } => {
                    if *size > 0 {
                        enc.clear_buffer(buf, *offset, Some(*size));
                    }
                    i += 1;
                }
                Command::Copy { src, dst } => {
                    if src.bytes() > 0 {
                        enc.copy_buffer_to_buffer(
                            &src.buf,
                            src.offset,
                            &dst.buf,
                            dst.offset,
                            src.bytes(),
                        );
                    }
                    i += 1;
                }
            }
        }
    }

    /// One encoder, one submit.
    pub fn submit(&self, gpu: &Gpu) -> wgpu::SubmissionIndex {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        self.encode(&mut enc);
        gpu.queue.submit([enc.finish()])
    }

    /// Submit and block until done (tests, benches, one-off work).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn run(&self, gpu: &Gpu) {
        self.submit(gpu);
        gpu.wait().expect("GPU wait failed");
    }
}

/// Workgroup grid for `threads` invocations of a `WG`-wide 1-D kernel. The WGSL side
/// recovers the flat index as `gid.x + gid.y * GRID_ROW * WG` (see `shaders/common.wgsl`).
pub fn grid_1d(threads: usize) -> [u32; 3] {
    let groups = (threads as u64).div_ceil(WG as u64).max(1);
    if groups <= GRID_ROW as u64 {
        [groups as u32, 1, 1]
    } else {
        [GRID_ROW, groups.div_ceil(GRID_ROW as u64) as u32, 1]
    }
}

/// What a kernel binding refers to: a tensor (storage buffer) or a texture.
#[derive(Clone, Copy)]
pub enum Bind<'a> {
    Tensor(&'a GpuTensor),
    Texture(&'a wgpu::TextureView),
}

impl<'a> From<&'a GpuTensor> for Bind<'a> {
    fn from(t: &'a GpuTensor) -> Self {
        Bind::Tensor(t)
    }
}

impl Gpu {
    /// Build a dispatch of `shader`'s `entry`. Binding 0 is a uniform holding `params`;
    /// bindings 1.. are `tensors` in order, as the kernel's `bindings!` declaration lists
    /// them. Everything is created here, once. The kernel is named by a typed id
    /// (`crate::shaders::id::relu`), not a string: there is no way to dispatch by name, so a
    /// launcher passing `"relu"` fails to compile.
    #[track_caller]
    pub fn dispatch<P: Uniform>(
        &self,
        label: &'static str,
        shader: ShaderId,
        entry: &str,
        params: &P,
        tensors: &[&GpuTensor],
        groups: [u32; 3],
    ) -> Dispatch {
        self.dispatch_with(label, shader, entry, &[], params, tensors, groups)
    }

    /// As `dispatch`, for a kernel with pipeline-overridable constants (WGSL `override`
    /// declarations without a value): `constants` gives each its value, by name, when the
    /// pipeline is built, so the launcher holds the one copy of a number both sides use.
    /// `binds` are tensors or (see `dispatch_bound`) `Bind`s; every dispatch is built here.
    /// Panics when `binds` are not as many as the declaration lists for `entry`, or a tensor
    /// is where it declares a texture or the other way round: a launcher bug.
    #[track_caller]
    pub fn dispatch_with<'b, P: Uniform, B: Copy + Into<Bind<'b>>>(
        &self,
        label: &'static str,
        shader: ShaderId,
        entry: &str,
        constants: &[(&str, f64)],
        params: &P,
        binds: &[B],
        groups: [u32; 3],
    ) -> Dispatch {
        let declared = super::bindings::expect_count(shader, entry, binds.len());
        let pipeline = self.pipelines.get(&self.device, shader, entry, constants);
        // The struct registered for the kernel is the one tests compare with its WGSL.
        super::uniform::expect_registered::<P>(shader);
        // Uniform structs are padded to 16 bytes in WGSL; pad the host copy the same way.
        let mut bytes = bytemuck::bytes_of(params).to_vec();
        bytes.resize(bytes.len().next_multiple_of(16).max(16), 0);
        let ubuf = self.create_buffer(
            "params",
            bytes.len() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        self.queue.write_buffer(&ubuf, 0, &bytes);
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: ubuf.as_entire_binding(),
        }];
        for (i, (b, d)) in binds.iter().zip(declared).enumerate() {
            let bind: Bind = (*b).into();
            if matches!(bind, Bind::Texture(_)) != d.kind.is_texture() {
                let given = if d.kind.is_texture() {
                    "a tensor"
                } else {
                    "a texture"
                };
                panic!(
                    "kernel `{}`, entry point `{entry}`: binding {} `{}` is `{}`, but the \
                     launcher passed {given}",
                    shader.name(),
                    i + 1,
                    d.name,
                    d.kind
                );
            }
            entries.push(wgpu::BindGroupEntry {
                binding: i as u32 + 1,
                resource: match bind {
                    Bind::Tensor(t) => t.binding(),
                    Bind::Texture(v) => wgpu::BindingResource::TextureView(v),
                },
            });
        }
        let bind_group = self.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(label),
            layout: &pipeline.bind_group_layout,
            entries: &entries,
        });
        Dispatch {
            label,
            pipeline: pipeline.pipeline,
            bind_group,
            groups,
        }
    }

    /// As `dispatch`, with textures among the bindings 1...
    #[track_caller]
    pub fn dispatch_bound<P: Uniform>(
        &self,
        label: &'static str,
        shader: ShaderId,
        entry: &str,
        params: &P,
        binds: &[Bind],
        groups: [u32; 3],
    ) -> Dispatch {
        self.dispatch_with(label, shader, entry, &[], params, binds, groups)
    }
}
