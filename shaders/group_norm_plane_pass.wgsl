// Library: the entry point `main` of the group_norm passes that only touch the values of live
// planes (group_norm, group_norm_backward): the kernel defines `fn live_plane(pl: Plane,
// chunk: u32)`, called with the invocation's plane (`plane_of`, shaders/group_norm_params.wgsl)
// and the workgroup's chunk along it; lanes of an overhanging last tile do nothing.

// import group_norm_params

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let pl = plane_of(wid, lid);
    if (pl.live) {
        live_plane(pl, wid.x);
    }
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
@group(0) @binding(0) var<uniform> p: Params;
fn live_plane(pl: Plane, chunk: u32) {}
// #endif
