//! Every kernel's `bindings!` declaration (`gpu::bindings::KERNEL_BINDINGS`) is compared with
//! what naga reflects from each entry point, under every composition condition, without a
//! GPU; a mismatch is an error naming the kernel, entry point, binding and WGSL name; and a
//! launcher passing another number of bindings is refused when it dispatches.

use wgpu_ddpm::gpu::bindings::{self, BindingList};
use wgpu_ddpm::gpu::id;
use wgpu_ddpm::shaders::{self, Conditions};

/// `name` composed under `cond`, parsed and validated. naga rejects `enable subgroups;`
/// (gfx-rs/wgpu issue 5555), which the `web` condition writes for browsers; the line is
/// blanked and the rest of the browser's text is read as it is.
fn parse(name: &str, cond: Conditions) -> (naga::Module, naga::valid::ModuleInfo) {
    let text = shaders::composed(name, cond).unwrap().text;
    let text: String = (text.split_inclusive('\n'))
        .map(|l| {
            if l.trim() == "enable subgroups;" {
                "\n"
            } else {
                l
            }
        })
        .collect();
    let module = naga::front::wgsl::parse_str(&text)
        .unwrap_or_else(|e| panic!("{name} under {cond:?}: {e}"));
    let caps = if cond.subgroup {
        naga::valid::Capabilities::SUBGROUP
    } else {
        naga::valid::Capabilities::default()
    };
    let info = naga::valid::Validator::new(naga::valid::ValidationFlags::all(), caps)
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name} under {cond:?}: {e}"));
    (module, info)
}

fn check(kernel: &str, lists: &[BindingList]) -> Vec<String> {
    let (module, info) = parse(kernel, Conditions::default());
    bindings::check(kernel, &module, &info, lists)
}

/// The variants in which a message came up, for the message.
fn variants(conds: &[Conditions]) -> String {
    if conds.len() == Conditions::ALL.len() {
        return "every variant".into();
    }
    let name = |c: &Conditions| {
        let spread = if c.subgroup { "subgroup" } else { "plain" };
        if c.web {
            format!("web {spread}")
        } else {
            spread.into()
        }
    };
    conds.iter().map(name).collect::<Vec<_>>().join(", ")
}

#[test]
fn every_entry_point_binds_what_its_kernel_declares() {
    // Each message once, with the conditions it came up under.
    let mut errors: Vec<(String, Vec<Conditions>)> = Vec::new();
    let mut entry_points = 0;
    for k in shaders::kernels() {
        let declared = (bindings::KERNEL_BINDINGS.iter())
            .find(|d| d.kernel.name() == k)
            .unwrap_or_else(|| panic!("kernel {k} is not in KERNEL_BINDINGS"));
        for cond in Conditions::ALL {
            let (module, info) = parse(k, cond);
            for e in bindings::check(k, &module, &info, declared.lists) {
                match errors.iter_mut().find(|(seen, _)| *seen == e) {
                    Some((_, conds)) => conds.push(cond),
                    None => errors.push((e, vec![cond])),
                }
            }
            entry_points += module.entry_points.len();
        }
    }
    let errors: Vec<String> = (errors.iter())
        .map(|(e, conds)| format!("{e} (composed for {})", variants(conds)))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert_eq!(bindings::KERNEL_BINDINGS.len(), shaders::kernels().count());
    // 133 entry points of 75 kernels, 4 conditions each: a count this low checked nothing.
    assert!(
        entry_points > 400,
        "only {entry_points} entry points checked"
    );
}

wgpu_ddpm::bindings! {
    /// shaders/relu.wgsl's bindings, as the activation launcher declares them.
    const RELU { x | x4: read, y | y4: read_write }
    const SWAPPED { x: read_write, y: read_write }
    const RENAMED { input: read, y: read_write }
    const ALIASED { input | x | x4: read, y | y4: read_write }
    const SHORT { x: read }
    const LONGER { x: read, y: read_write, z: read }
    const TEXTURE { x: texture_2d, y: read_write }
    const OTHER_ENTRY {
        main => { x: read, y: read_write }
        gone => { x: read }
    }
    /// Both of attention_pack's entry points under one list: they differ at binding 2.
    const ONE_LIST { src: read, dst: texture_storage_2d_array }
}

#[test]
fn a_matching_declaration_passes() {
    assert_eq!(check("relu", RELU), Vec::<String>::new());
    assert_eq!(check("relu", ALIASED), Vec::<String>::new());
}

#[test]
fn a_mismatch_names_the_kernel_the_entry_point_and_the_binding() {
    let at = "kernel `relu`, entry point `main`, binding";
    let cases: [(&[BindingList], String); 7] = [
        (
            SWAPPED,
            format!("{at} 1 `x`: is `read` in WGSL, `read_write` in the declaration"),
        ),
        (
            RENAMED,
            format!("{at} 1 `x`: named `input` in the declaration"),
        ),
        (
            SHORT,
            format!("{at} 2 `y`: the entry point uses it, but the declaration lists only 1"),
        ),
        (
            LONGER,
            format!("{at} 3 `z`: the declaration lists it, but the entry point does not use it"),
        ),
        (
            TEXTURE,
            format!("{at} 1 `x`: is `read` in WGSL, `texture_2d` in the declaration"),
        ),
        (
            OTHER_ENTRY,
            "kernel `relu`: the `bindings!` declaration has a list for entry point `gone`, \
             which the kernel does not have"
                .into(),
        ),
        (
            &[],
            "kernel `relu`, entry point `main`: no list of the `bindings!` declaration".into(),
        ),
    ];
    for (lists, expected) in cases {
        let errors = check("relu", lists);
        assert!(
            errors.iter().any(|e| e.contains(&expected)),
            "expected `{expected}` among {errors:#?}"
        );
    }
    let errors = check("attention_pack", ONE_LIST);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].contains(
            "kernel `attention_pack`, entry point `pack_shared`, binding 2 `shared_dst`: named \
             `dst` in the declaration"
        ),
        "{errors:#?}"
    );
    assert!(
        errors[1].contains("is `texture_storage_2d` in WGSL, `texture_storage_2d_array`"),
        "{errors:#?}"
    );
}

/// A launcher passing more or fewer bindings than its kernel's entry point declares panics,
/// naming the kernel, entry point and the bindings expected.
#[test]
fn a_dispatch_with_another_number_of_bindings_is_refused() {
    assert_eq!(bindings::expect_count(id::mse, "weighted", 4).len(), 4);
    assert_eq!(bindings::expect_count(id::mse, "main", 3).len(), 3);
    let err =
        std::panic::catch_unwind(|| bindings::expect_count(id::mse, "weighted", 3)).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains(
            "kernel `mse`, entry point `weighted`: dispatched with 3 bindings after the uniform, \
             but it binds 4: `pred`, `tgt`, `partial`, `w`"
        ),
        "{msg}"
    );
    let err = std::panic::catch_unwind(|| bindings::expect_count(id::mse, "nope", 3)).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains(
            "kernel `mse`: its `bindings!` declaration has no list for entry point `nope`"
        ),
        "{msg}"
    );
}
