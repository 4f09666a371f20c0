// Shared helpers, appended to every kernel by the registry (src/shaders.rs).

// Must match src/gpu/program.rs: WG threads per workgroup, GRID_ROW workgroups per grid row.
const WG: u32 = 256u;
const GRID_ROW: u32 = 32768u;

// Flat invocation index of a 1-D kernel launched with `grid_1d`.
fn flat_index(gid: vec3<u32>) -> u32 {
    return gid.x + gid.y * (GRID_ROW * WG);
}
