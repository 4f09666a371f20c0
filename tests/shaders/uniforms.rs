//! The Rust side of every kernel's uniform (the `uniform!` struct that names the kernel
//! after `for`; `gpu::uniform::KERNEL_UNIFORMS`) is compared with the WGSL struct naga
//! reflects, for every kernel and variant, without a GPU; and a mismatch is an error naming
//! the kernel and the field.

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

/// Every kernel, under both values of `subgroup` where its files test it, against the
/// struct registered for it.
#[test]
fn every_kernel_uniform_matches_its_rust_struct() {
    let mut errors = Vec::new();
    let mut checked = 0;
    for k in shaders::kernels() {
        let u = uniform::KERNEL_UNIFORMS
            .iter()
            .find(|u| u.kernel.name() == k)
            .unwrap_or_else(|| panic!("kernel {k} is not in KERNEL_UNIFORMS"));
        let tested = shaders::composed(k, Conditions::default()).unwrap().tested;
        for subgroup in [false, true] {
            if subgroup && !tested.iter().any(|t| t == "subgroup") {
                continue;
            }
            let c = shaders::composed(k, Conditions::new(subgroup, false)).unwrap();
            let m = naga::front::wgsl::parse_str(&c.text).unwrap();
            if let Err(e) = uniform::check(k, &m, u.rust, u.fields, u.size) {
                errors.push(e);
            }
            checked += 1;
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert_eq!(uniform::KERNEL_UNIFORMS.len(), shaders::kernels().count());
    assert!(checked > 70, "only {checked} kernel variants were checked");
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

/// Dispatching a kernel with a struct laid out otherwise than the one registered for it
/// panics, naming the kernel and both structs.
#[test]
fn a_dispatch_with_another_struct_is_refused() {
    use wgpu_ddpm::gpu::id;
    uniform::expect_registered::<Total>(id::relu);
    let err =
        std::panic::catch_unwind(|| uniform::expect_registered::<Swapped>(id::relu)).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("kernel `relu` was dispatched with `")
            && msg.contains("Swapped")
            && msg.contains("activation::Params"),
        "{msg}"
    );
}
