// Library: the entry point `main` of a kernel launched over element pairs (one invocation per
// pair (2j, 2j+1) of p.len values, `grid_1d(len.div_ceil(2))`), the shape of the kernels that
// draw a Box-Muller pair per invocation: the kernel defines `fn pair(j: u32, e: u32)`, called
// with e = 2j < p.len; it checks e + 1 < p.len itself (odd len), and invocations past the last
// pair do nothing.

// import common

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let j = flat_index(gid);
    let e = 2u * j;
    if (e < p.len) {
        pair(j, e);
    }
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
struct Params {
    len: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
fn pair(j: u32, e: u32) {}
// #endif
