//! A kernel's declaration against its WGSL, through naga's reflection: what each entry point
//! uses is what its list says, binding by binding.

use super::{select, Binding, BindingList, Kind};

/// The kind of a WGSL global, or what it is when no [`Kind`] describes it.
fn kind_of(module: &naga::Module, g: &naga::GlobalVariable) -> Result<Kind, String> {
    use naga::{ImageClass, ImageDimension::D2, ScalarKind::Float, StorageFormat::Rgba32Float};
    match (g.space, &module.types[g.ty].inner) {
        (naga::AddressSpace::Storage { access }, _) => {
            Ok(if access.contains(naga::StorageAccess::STORE) {
                Kind::ReadWrite
            } else {
                Kind::Read
            })
        }
        (
            naga::AddressSpace::Handle,
            &naga::TypeInner::Image {
                dim: D2,
                arrayed,
                class,
            },
        ) => match class {
            ImageClass::Sampled {
                kind: Float,
                multi: false,
            } => Ok([Kind::Texture2d, Kind::Texture2dArray][arrayed as usize]),
            ImageClass::Storage {
                format: Rgba32Float,
                access: naga::StorageAccess::STORE,
            } => Ok([Kind::TextureStorage2d, Kind::TextureStorage2dArray][arrayed as usize]),
            ImageClass::Storage {
                format: Rgba32Float,
                access: naga::StorageAccess::LOAD,
            } => Ok([Kind::TextureRead2d, Kind::TextureRead2dArray][arrayed as usize]),
            other => Err(format!("a 2-D image of class {other:?}")),
        },
        (space, ty) => Err(format!("{ty:?} in address space {space:?}")),
    }
}

/// Compare `lists` (the `bindings!` declaration of `kernel`) with `module` and its validation
/// `info`: every entry point has a list, the globals it uses are `@group(0)`, the uniform at
/// 0 and its list's bindings at 1.. (each with the same name, or an alias, and kind), and it
/// uses every binding its list names; every entry point a list names exists, and a list for
/// all the others is used by some. One message per difference, naming kernel, entry point,
/// binding and WGSL name.
pub fn check(
    kernel: &str,
    module: &naga::Module,
    info: &naga::valid::ModuleInfo,
    lists: &[BindingList],
) -> Vec<String> {
    let mut errors = Vec::new();
    let fix = format!(
        "Change the one that is wrong: shaders/{kernel}.wgsl (or the library that declares \
         the binding) or the `bindings!` declaration for `{kernel}` beside its launcher."
    );
    for (i, ep) in module.entry_points.iter().enumerate() {
        let at = format!("kernel `{kernel}`, entry point `{}`", ep.name);
        let Some(list) = select(lists, &ep.name).map(|l| lists[l].bindings) else {
            errors.push(format!(
                "{at}: no list of the `bindings!` declaration is for this entry point; add \
                 `{} => {{ ... }}` to it",
                ep.name
            ));
            continue;
        };
        let uses = info.get_entry_point(i);
        let mut used = vec![false; list.len()];
        for (handle, g) in module.global_variables.iter() {
            let Some(b) = g.binding.as_ref().filter(|_| !uses[handle].is_empty()) else {
                continue;
            };
            let name = g.name.as_deref().unwrap_or("");
            let at = format!("{at}, binding {} `{name}`", b.binding);
            if b.group != 0 {
                errors.push(format!(
                    "{at}: is in @group({}); kernels bind one group, 0. {fix}",
                    b.group
                ));
                continue;
            }
            if b.binding == 0 {
                if g.space != naga::AddressSpace::Uniform {
                    errors.push(format!(
                        "{at}: binding 0 is the kernel's uniform (`Gpu::dispatch` fills it), \
                         but here it is {:?}. {fix}",
                        g.space
                    ));
                }
                continue;
            }
            let wgsl = kind_of(module, g);
            let Some(d) = list.get(b.binding as usize - 1) else {
                errors.push(format!(
                    "{at}: the entry point uses it, but the declaration lists only {} \
                     bindings after the uniform. {fix}",
                    list.len()
                ));
                continue;
            };
            used[b.binding as usize - 1] = true;
            if d.name != name && !d.aliases.contains(&name) {
                errors.push(format!(
                    "{at}: named `{}` in the declaration. {fix}",
                    d.names()
                ));
            }
            match wgsl {
                Ok(k) if k == d.kind => {}
                Ok(k) => errors.push(format!(
                    "{at}: is `{k}` in WGSL, `{}` in the declaration. {fix}",
                    d.kind
                )),
                Err(what) => errors.push(format!(
                    "{at}: is {what}, which no binding kind describes (gpu::bindings::Kind)"
                )),
            }
        }
        errors.extend(unused(&at, list, &used));
    }
    for l in lists {
        for e in l.entry_points {
            if !module.entry_points.iter().any(|ep| ep.name == *e) {
                errors.push(format!(
                    "kernel `{kernel}`: the `bindings!` declaration has a list for entry point \
                     `{e}`, which the kernel does not have"
                ));
            }
        }
    }
    let default = lists.iter().any(|l| l.entry_points.is_empty());
    let named = |ep: &naga::EntryPoint| lists.iter().any(|l| l.entry_points.contains(&&*ep.name));
    if default && module.entry_points.iter().all(named) {
        errors.push(format!(
            "kernel `{kernel}`: the `bindings!` declaration's list for all other entry points \
             is for none (each has its own)"
        ));
    }
    errors
}

/// The bindings of `list` that the entry point does not use: the launcher would bind them
/// for nothing (and wgpu's own derived layout would have refused them).
fn unused(at: &str, list: &[Binding], used: &[bool]) -> Vec<String> {
    (list.iter().zip(used).enumerate())
        .filter(|(_, (_, &u))| !u)
        .map(|(i, (d, _))| {
            format!(
                "{at}, binding {} `{}`: the declaration lists it, but the entry point does not \
                 use it (or the WGSL declares no binding {0}); list only what it uses",
                i + 1,
                d.names()
            )
        })
        .collect()
}
