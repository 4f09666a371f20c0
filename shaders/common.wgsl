// Library: shared helpers, the prelude: composed into every kernel without an import.

// Must match src/gpu/program.rs: WG threads per workgroup, GRID_ROW workgroups per grid row.
const WG: u32 = 256u;
const GRID_ROW: u32 = 32768u;

// Flat invocation index of a 1-D kernel launched with `grid_1d`.
fn flat_index(gid: vec3<u32>) -> u32 {
    return gid.x + gid.y * (GRID_ROW * WG);
}

// a / b for a < 2^24 through an f32 reciprocal, corrected to the exact quotient: on llvmpipe
// an integer division by a non-constant is 8 scalar divisions, a float one is one vector op.
fn udiv(a: u32, b: u32) -> u32 {
    var q = u32(f32(a) / f32(b));
    q = select(q, q - 1u, q * b > a);
    q = select(q, q + 1u, (q + 1u) * b <= a);
    return q;
}
