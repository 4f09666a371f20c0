//! What a kernel binds after its uniform, declared once per kernel with
//! [`bindings!`](crate::bindings) beside the launcher: bindings 1.. of `@group(0)`, each with
//! its WGSL name and [`Kind`]. The pipeline cache builds each kernel's bind group layout from
//! it (not from the shader), `Gpu::dispatch` refuses a launcher that passes another number of
//! bindings (or a tensor for a texture), and [`check`] compares it with what naga reflects
//! from every entry point
//! (tests/shaders/bindings.rs runs it on every kernel). Every kernel has exactly one
//! declaration: [`KERNEL_BINDINGS`], written by build.rs, fails to compile otherwise.

use std::fmt;

use crate::shaders::{id, kernel, ShaderId};

/// What a binding is, named as in WGSL: `var<storage, read>`, `var<storage, read_write>`,
/// `texture_2d<f32>`, `texture_2d_array<f32>`, and the rgba32float storage textures kernels
/// write (`texture_storage_2d<rgba32float, write>`, and its `_array`) and read
/// (`texture_read_2d`: `texture_storage_2d<rgba32float, read>`, and its `_array`). The kernels
/// read their textures as storage textures (shaders/conv2d.wgsl says why); the sampled kinds
/// remain for WGSL that declares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Read,
    ReadWrite,
    Texture2d,
    Texture2dArray,
    TextureStorage2d,
    TextureStorage2dArray,
    TextureRead2d,
    TextureRead2dArray,
}

/// The kinds as [`bindings!`](crate::bindings) spells them.
#[allow(non_upper_case_globals)]
pub mod kind {
    use super::Kind;
    pub const read: Kind = Kind::Read;
    pub const read_write: Kind = Kind::ReadWrite;
    pub const texture_2d: Kind = Kind::Texture2d;
    pub const texture_2d_array: Kind = Kind::Texture2dArray;
    pub const texture_storage_2d: Kind = Kind::TextureStorage2d;
    pub const texture_storage_2d_array: Kind = Kind::TextureStorage2dArray;
    pub const texture_read_2d: Kind = Kind::TextureRead2d;
    pub const texture_read_2d_array: Kind = Kind::TextureRead2dArray;
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Kind::Read => "read",
            Kind::ReadWrite => "read_write",
            Kind::Texture2d => "texture_2d",
            Kind::Texture2dArray => "texture_2d_array",
            Kind::TextureStorage2d => "texture_storage_2d",
            Kind::TextureStorage2dArray => "texture_storage_2d_array",
            Kind::TextureRead2d => "texture_read_2d",
            Kind::TextureRead2dArray => "texture_read_2d_array",
        })
    }
}

impl Kind {
    /// Bound with a texture view (`Bind::Texture`) rather than a tensor.
    pub fn is_texture(self) -> bool {
        !matches!(self, Kind::Read | Kind::ReadWrite)
    }

    /// The layout entry's type. The textures are rgba32float (`gpu::texture`), which WebGPU
    /// does not filter without a feature, so the sampled ones are declared unfilterable
    /// (the kernels only `textureLoad`); sizes are left to wgpu's checks at dispatch.
    pub fn binding_type(self) -> wgpu::BindingType {
        use wgpu::TextureViewDimension::{D2Array, D2};
        let storage = |read_only| wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        };
        let sampled = |view_dimension| wgpu::BindingType::Texture {
            sample_type: wgpu::TextureSampleType::Float { filterable: false },
            view_dimension,
            multisampled: false,
        };
        let storage_texture = |access, view_dimension| wgpu::BindingType::StorageTexture {
            access,
            format: wgpu::TextureFormat::Rgba32Float,
            view_dimension,
        };
        let written = |d| storage_texture(wgpu::StorageTextureAccess::WriteOnly, d);
        let read = |d| storage_texture(wgpu::StorageTextureAccess::ReadOnly, d);
        match self {
            Kind::Read => storage(true),
            Kind::ReadWrite => storage(false),
            Kind::Texture2d => sampled(D2),
            Kind::Texture2dArray => sampled(D2Array),
            Kind::TextureStorage2d => written(D2),
            Kind::TextureStorage2dArray => written(D2Array),
            Kind::TextureRead2d => read(D2),
            Kind::TextureRead2dArray => read(D2Array),
        }
    }
}

/// One binding: its WGSL name (and the other names the kernels sharing the declaration give
/// it) and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub kind: Kind,
}

impl Binding {
    fn names(&self) -> String {
        std::iter::once(&self.name)
            .chain(self.aliases)
            .copied()
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

/// The bindings 1.. of some of a kernel's entry points, in binding order: those named in
/// `entry_points`, or, where that is empty, every entry point of the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BindingList {
    pub entry_points: &'static [&'static str],
    pub bindings: &'static [Binding],
}

/// Declares, for the kernels after `for`, the bindings after their uniform, in binding
/// order, `name: kind` each, the kinds being those of [`kind`](crate::gpu::bindings::kind):
///
/// ```ignore
/// crate::bindings! {
///     for relu, gelu, silu { x: read, y: read_write }
///     for add_backward {
///         main => { dy: read, da: read_write, db: read_write }
///         single => { dy: read, da: read_write }
///     }
/// }
/// ```
///
/// Entry points that bind different lists each get theirs (the second form, which must name
/// every entry point). A binding that the kernels sharing a list name differently lists the
/// other names after `|`: `x | dy: read`. `const NAME { ... }` instead of `for ...` declares
/// a `&[BindingList]` for no kernel (tests).
#[macro_export]
macro_rules! bindings {
    (@lists { $($($entry:ident),+ => { $($list:tt)* })+ }) => {
        &[$($crate::gpu::bindings::BindingList {
            entry_points: &[$(stringify!($entry)),+],
            bindings: $crate::bindings!(@list $($list)*),
        }),+]
    };
    (@lists { $($list:tt)* }) => {
        &[$crate::gpu::bindings::BindingList {
            entry_points: &[],
            bindings: $crate::bindings!(@list $($list)*),
        }]
    };
    (@list $($binding:ident $(| $alias:ident)* : $kind:ident),* $(,)?) => {
        &[$($crate::gpu::bindings::Binding {
            name: stringify!($binding),
            aliases: &[$(stringify!($alias)),*],
            kind: $crate::gpu::bindings::kind::$kind,
        }),*]
    };
    (@impl [$($kernel:ident)+] $body:tt) => {$(
        impl $crate::gpu::bindings::KernelBindings for $crate::gpu::kernel::$kernel {
            const LISTS: &'static [$crate::gpu::bindings::BindingList] =
                $crate::bindings!(@lists $body);
        }
    )+};
    ($(#[$meta:meta])* for $($kernel:ident),+ { $($body:tt)* } $($rest:tt)*) => {
        $crate::bindings!(@impl [$($kernel)+] { $($body)* });
        $crate::bindings!($($rest)*);
    };
    ($(#[$meta:meta])* const $name:ident { $($body:tt)* } $($rest:tt)*) => {
        $(#[$meta])*
        const $name: &[$crate::gpu::bindings::BindingList] =
            $crate::bindings!(@lists { $($body)* });
        $crate::bindings!($($rest)*);
    };
    () => {};
}

/// A kernel's declaration: implemented by [`bindings!`](crate::bindings) on the kernel's type
/// in `gpu::kernel` for each kernel named after `for`.
#[diagnostic::on_unimplemented(
    message = "kernel `{Self}` declares no bindings",
    label = "no `bindings!` declaration names this kernel",
    note = "name the kernel after `for` in a `bindings!` declaration beside its launcher's \
            `uniform!` struct: `for <kernel> {{ x: read, y: read_write }}` \
            (docs/shader_modules.md)"
)]
pub trait KernelBindings {
    const LISTS: &'static [BindingList];
}

/// A kernel and its declaration.
#[derive(Debug)]
pub struct Declared {
    pub kernel: ShaderId,
    pub lists: &'static [BindingList],
}

const fn of<K: KernelBindings>(kernel: ShaderId) -> Declared {
    Declared {
        kernel,
        lists: K::LISTS,
    }
}

// `KERNEL_BINDINGS`, one entry per kernel, written by build.rs.
include!(concat!(env!("OUT_DIR"), "/kernel_bindings.rs"));

/// The declaration of `kernel`.
pub fn declared(kernel: ShaderId) -> &'static [BindingList] {
    KERNEL_BINDINGS
        .iter()
        .find(|d| d.kernel == kernel)
        .expect("build.rs lists every kernel")
        .lists
}

/// The list in `lists` that entry point `entry` binds, and its place there.
pub fn select(lists: &[BindingList], entry: &str) -> Option<usize> {
    (lists.iter().position(|l| l.entry_points.contains(&entry)))
        .or_else(|| lists.iter().position(|l| l.entry_points.is_empty()))
}

/// The list `kernel`'s `entry` binds, and its place in the declaration; panics when the
/// declaration has none for it (tests/shaders/bindings.rs checks that every one has).
#[track_caller]
pub fn expect_list(kernel: ShaderId, entry: &str) -> (usize, &'static [Binding]) {
    let lists = declared(kernel);
    let i = select(lists, entry).unwrap_or_else(|| {
        panic!(
            "kernel `{}`: its `bindings!` declaration has no list for entry point `{entry}`; \
             add `{entry} => {{ ... }}` to it",
            kernel.name()
        )
    });
    (i, lists[i].bindings)
}

/// The bindings `kernel`'s `entry` takes after its uniform; panics, naming them, when a
/// launcher passes `given` of them instead: the launcher and the declaration disagree.
#[track_caller]
pub fn expect_count(kernel: ShaderId, entry: &str, given: usize) -> &'static [Binding] {
    let (_, list) = expect_list(kernel, entry);
    if given != list.len() {
        let names: Vec<String> = list.iter().map(|b| format!("`{}`", b.names())).collect();
        panic!(
            "kernel `{}`, entry point `{entry}`: dispatched with {given} bindings after the \
             uniform, but it binds {}: {} (its `bindings!` declaration); pass those, in that \
             order",
            kernel.name(),
            list.len(),
            names.join(", ")
        );
    }
    list
}

/// The bind group layout entries of a list: the uniform at 0, then the list from 1.
pub fn layout_entries(list: &[Binding]) -> Vec<wgpu::BindGroupLayoutEntry> {
    let uniform = wgpu::BindingType::Buffer {
        ty: wgpu::BufferBindingType::Uniform,
        has_dynamic_offset: false,
        min_binding_size: None,
    };
    std::iter::once(uniform)
        .chain(list.iter().map(|b| b.kind.binding_type()))
        .enumerate()
        .map(|(i, ty)| wgpu::BindGroupLayoutEntry {
            binding: i as u32,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty,
            count: None,
        })
        .collect()
}

mod check;
pub use check::check;
