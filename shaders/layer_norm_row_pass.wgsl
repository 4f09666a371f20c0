// Library: the entry point `main` of the layer_norm kernels with a row per segment
// (layer_norm, layer_norm_backward): the kernel defines `fn row_pass(row: Row, lid: u32)`,
// called by every invocation with its row (`row_of`, shaders/layer_norm_params.wgsl) and its
// index in the workgroup. Lanes of an overhanging last tile are called too (row.live false):
// every lane must reach the row sums' workgroup barriers.

// import layer_norm_params

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    row_pass(row_of(wid, lid), lid);
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
@group(0) @binding(0) var<uniform> p: Params;
fn row_pass(row: Row, lid: u32) {}
// #endif
