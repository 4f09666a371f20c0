// Library: the entry point `main` of a kernel launched with `grid_1d` (src/gpu/program.rs),
// one invocation per item: the kernel defines `fn item(i: u32)` and a uniform `p` whose
// `total` counts the items, and invocations past it (the last workgroup's tail) do nothing.

// import common

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i < p.total) {
        item(i);
    }
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
struct Params {
    total: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
fn item(i: u32) {}
// #endif
