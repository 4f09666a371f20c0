//! The host copy of a kernel's uniform `Params` and the check that it matches the WGSL.
//! Both sides are written by hand; [`uniform!`](crate::uniform) gives the Rust side a table
//! of its fields and names the kernels it is for, so every kernel has exactly one Rust
//! struct ([`KERNEL_UNIFORMS`], a compile error otherwise); [`check`] compares a struct's
//! table with the struct naga reflects at `@group(0) @binding(0)` of the composed kernel,
//! so a field added, dropped, reordered or retyped on one side only is an error naming the
//! kernel and the field (tests/shaders/uniforms.rs runs it on every kernel).

use crate::shaders::{id, kernel, ShaderId};

/// A field of a `#[repr(C)]` struct: its name (and the other names the WGSL of the kernels
/// that share the struct gives it), byte offset and size, and its own fields if it is a
/// struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub offset: usize,
    pub size: usize,
    pub fields: &'static [Field],
}

/// A type a kernel's uniform is made of: a struct declared with [`uniform!`](crate::uniform)
/// lists its fields; scalars and arrays are leaves.
pub trait Uniform: bytemuck::Pod {
    const FIELDS: &'static [Field];
}

impl Uniform for u32 {
    const FIELDS: &'static [Field] = &[];
}
impl Uniform for i32 {
    const FIELDS: &'static [Field] = &[];
}
impl Uniform for f32 {
    const FIELDS: &'static [Field] = &[];
}
impl<T: Uniform, const N: usize> Uniform for [T; N]
where
    [T; N]: bytemuck::Pod,
{
    const FIELDS: &'static [Field] = &[];
}

/// Declares a `#[repr(C)]` `Pod` struct and its [`Uniform`] field table (offsets from
/// `offset_of!`, so the table cannot drift from the struct), and after `for` the kernels
/// (`shaders/<kernel>.wgsl`) whose uniform it is: `struct Params for concat, concat_backward
/// { ... }`. A field that the kernels sharing the struct name differently lists the other
/// names after `|`: `count | total | rows: u32`. Fields named `_...` are padding and are not
/// compared.
#[macro_export]
macro_rules! uniform {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident $(for $($kernel:ident),+)? {
            $($(#[$fmeta:meta])* $fvis:vis $field:ident $(| $alias:ident)* : $ty:ty),* $(,)?
        }
    ) => {
        $($(
            impl $crate::gpu::uniform::KernelParams for $crate::gpu::kernel::$kernel {
                const RUST: &'static str = concat!(module_path!(), "::", stringify!($name));
                const FIELDS: &'static [$crate::gpu::Field] =
                    <$name as $crate::gpu::Uniform>::FIELDS;
                const SIZE: usize = ::core::mem::size_of::<$name>();
            }
        )+)?

        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
        $vis struct $name {
            $($(#[$fmeta])* $fvis $field: $ty),*
        }

        impl $crate::gpu::Uniform for $name {
            const FIELDS: &'static [$crate::gpu::Field] = &[$($crate::gpu::Field {
                name: stringify!($field),
                aliases: &[$(stringify!($alias)),*],
                offset: ::core::mem::offset_of!($name, $field),
                size: ::core::mem::size_of::<$ty>(),
                fields: <$ty as $crate::gpu::Uniform>::FIELDS,
            }),*];
        }
    };
}

/// The Rust side of a kernel's uniform: implemented by [`uniform!`](crate::uniform) on the
/// kernel's type in `gpu::kernel` for each kernel named after `for`.
#[diagnostic::on_unimplemented(
    message = "kernel `{Self}` has no Rust struct for its uniform",
    label = "no `uniform!` struct names this kernel",
    note = "name the kernel after `for` in the `uniform!` struct its launcher binds: \
            `struct Params for <kernel>, ... {{ ... }}` (docs/shader_modules.md)"
)]
pub trait KernelParams {
    /// The struct's path, for messages.
    const RUST: &'static str;
    const FIELDS: &'static [Field];
    const SIZE: usize;
}

/// A kernel and the Rust struct its uniform is.
#[derive(Debug)]
pub struct KernelUniform {
    pub kernel: ShaderId,
    pub rust: &'static str,
    pub fields: &'static [Field],
    pub size: usize,
}

const fn of<K: KernelParams>(kernel: ShaderId) -> KernelUniform {
    KernelUniform {
        kernel,
        rust: K::RUST,
        fields: K::FIELDS,
        size: K::SIZE,
    }
}

// `KERNEL_UNIFORMS`, one entry per kernel, written by build.rs.
include!(concat!(env!("OUT_DIR"), "/kernel_uniforms.rs"));

/// The struct registered for `kernel`.
pub fn registered(kernel: ShaderId) -> &'static KernelUniform {
    KERNEL_UNIFORMS
        .iter()
        .find(|u| u.kernel == kernel)
        .expect("build.rs lists every kernel")
}

/// Panics unless `P` is laid out as the struct registered for `kernel` (the one its WGSL is
/// checked against by tests/shaders/uniforms.rs): a launcher binding another struct.
pub fn expect_registered<P: Uniform>(kernel: ShaderId) {
    let u = registered(kernel);
    if P::FIELDS != u.fields || std::mem::size_of::<P>() != u.size {
        panic!(
            "kernel `{}` was dispatched with `{}`, but its uniform is `{}` (the `uniform!` \
             struct that names it after `for`): pass that struct, or move the kernel's name \
             to the struct it is dispatched with",
            kernel.name(),
            std::any::type_name::<P>(),
            u.rust
        );
    }
}

/// A leaf of a struct, nested structs flattened: (names, offset, size).
type Leaf = (Vec<&'static str>, usize, usize);

fn rust_leaves(fields: &[Field], base: usize, out: &mut Vec<Leaf>) {
    for f in fields {
        if f.fields.is_empty() {
            if !f.name.starts_with('_') {
                let mut names = vec![f.name];
                names.extend(f.aliases);
                out.push((names, base + f.offset, f.size));
            }
        } else {
            rust_leaves(f.fields, base + f.offset, out);
        }
    }
}

fn wgsl_leaves(
    module: &naga::Module,
    ty: naga::Handle<naga::Type>,
    base: usize,
    out: &mut Vec<(String, usize, usize)>,
) {
    let naga::TypeInner::Struct { members, .. } = &module.types[ty].inner else {
        return;
    };
    for m in members {
        let name = m.name.clone().unwrap_or_default();
        let offset = base + m.offset as usize;
        if let naga::TypeInner::Struct { .. } = module.types[m.ty].inner {
            wgsl_leaves(module, m.ty, offset, out);
        } else if !name.starts_with('_') {
            out.push((
                name,
                offset,
                module.types[m.ty].inner.size(module.to_ctx()) as usize,
            ));
        }
    }
}

/// Compare `fields` (the Rust struct `rust`, `size` bytes) with the uniform struct at
/// `@group(0) @binding(0)` of `module`, kernel `kernel`, with nested structs flattened and
/// padding (`_...` fields, or none) left out: the same fields in the same order, each with
/// the same name (or one of its aliases), offset and size, and no Rust bytes past the WGSL
/// struct.
pub fn check(
    kernel: &str,
    module: &naga::Module,
    rust: &str,
    fields: &[Field],
    size: usize,
) -> Result<(), String> {
    let at = |msg: String| {
        Err(format!(
            "kernel `{kernel}`: the uniform at binding 0 and its Rust side `{rust}` differ: \
             {msg}. Change the one that is wrong (shaders/{kernel}.wgsl or one of its \
             imports, and the launcher's `uniform!` struct) so they agree field by field."
        ))
    };
    let global = module.global_variables.iter().find(|(_, g)| {
        g.space == naga::AddressSpace::Uniform
            && g.binding
                .as_ref()
                .is_some_and(|b| b.group == 0 && b.binding == 0)
    });
    let Some((_, global)) = global else {
        return at("the kernel declares no `var<uniform>` at @group(0) @binding(0)".into());
    };
    let naga::TypeInner::Struct { span, .. } = &module.types[global.ty].inner else {
        return at("the WGSL uniform is not a struct".into());
    };
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    rust_leaves(fields, 0, &mut ours);
    wgsl_leaves(module, global.ty, 0, &mut theirs);
    for (i, (name, offset, wsize)) in theirs.iter().enumerate() {
        let Some((names, roffset, rsize)) = ours.get(i) else {
            return at(format!("WGSL field `{name}` (#{i}) is missing in Rust"));
        };
        if !names.contains(&name.as_str()) {
            return at(format!(
                "field #{i} is `{name}` in WGSL, `{}` in Rust",
                names.join(" | ")
            ));
        }
        if offset != roffset || wsize != rsize {
            return at(format!(
                "field `{name}` is at byte {offset} ({wsize} bytes) in WGSL, at byte {roffset} \
                 ({rsize} bytes) in Rust"
            ));
        }
    }
    if let Some((names, ..)) = ours.get(theirs.len()) {
        return at(format!("Rust field `{}` is not in WGSL", names[0]));
    }
    if size > *span as usize {
        return at(format!("Rust is {size} bytes, WGSL {span}"));
    }
    Ok(())
}
