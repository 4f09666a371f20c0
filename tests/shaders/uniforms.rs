//! The Rust side of a kernel's uniform is compared with the WGSL struct naga reflects
//! (`gpu::uniform::check`, run by every dispatch in debug builds): here, that every kernel
//! has such a struct, and that a mismatch is an error naming the kernel and the field.

use wgpu_ddpm::gpu::{uniform, Uniform};
use wgpu_ddpm::shaders::{self, Conditions};

fn module(kernel: &str) -> naga::Module {
    let c = shaders::composed(kernel, Conditions::default()).unwrap();
    naga::front::wgsl::parse_str(&c.text).unwrap()
}

fn check<P: Uniform>(kernel: &str) -> Result<(), String> {
    let size = std::mem::size_of::<P>();
    uniform::check(kernel, &module(kernel), "P", P::FIELDS, size)
}

/// Every kernel reads a struct uniform at @group(0) @binding(0), the binding `Gpu::dispatch`
/// fills with the launcher's params: the check has something to compare everywhere.
#[test]
fn every_kernel_has_a_struct_uniform_at_binding_0() {
    for k in shaders::kernels() {
        let m = module(k);
        let found = m.global_variables.iter().any(|(_, g)| {
            g.space == naga::AddressSpace::Uniform
                && g.binding
                    .as_ref()
                    .is_some_and(|b| b.group == 0 && b.binding == 0)
                && matches!(m.types[g.ty].inner, naga::TypeInner::Struct { .. })
        });
        assert!(
            found,
            "kernel {k} has no struct uniform at @group(0) @binding(0)"
        );
    }
}

wgpu_ddpm::uniform! {
    /// shaders/activation.wgsl's Params, as relu's launcher declares it.
    struct Total {
        total: u32,
    }
}

wgpu_ddpm::uniform! {
    struct Renamed {
        count: u32,
    }
}

wgpu_ddpm::uniform! {
    struct Longer {
        total: u32,
        extra: u32,
    }
}

wgpu_ddpm::uniform! {
    /// shaders/concat_params.wgsl's fields with two swapped.
    struct Swapped {
        total: u32,
        c2: u32,
        c1: u32,
        hw: u32,
    }
}

wgpu_ddpm::uniform! {
    struct Wider {
        total: [u32; 2],
    }
}

#[test]
fn a_matching_struct_passes() {
    check::<Total>("relu").unwrap();
}

#[test]
fn a_mismatch_names_the_kernel_and_the_field() {
    let cases: [(Result<(), String>, &str); 4] = [
        (
            check::<Renamed>("relu"),
            "field #0 is `total` in WGSL, `count` in Rust",
        ),
        (check::<Longer>("relu"), "Rust field `extra` is not in WGSL"),
        (
            check::<Swapped>("concat"),
            "field #1 is `c1` in WGSL, `c2` in Rust",
        ),
        (
            check::<Wider>("relu"),
            "field `total` is at byte 0 (4 bytes) in WGSL, at byte 0 (8 bytes)",
        ),
    ];
    for (result, expected) in cases {
        let err = result.unwrap_err();
        assert!(err.contains("kernel `"), "{err}");
        assert!(err.contains(expected), "{err}");
    }
    let err = check::<Total>("concat").unwrap_err();
    assert!(
        err.contains("kernel `concat`") && err.contains("`c1`"),
        "{err}"
    );
}
