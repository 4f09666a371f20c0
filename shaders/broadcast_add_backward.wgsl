// dx += dy;  dv[n, c] += sum_s dy[n, c, s]   (accumulates)
// One workgroup of 64 per (n, c) row: thread t handles s = t, t + 64, ... in order, then a
// fixed-shape tree in workgroup memory sums the 64 partials, so the result is deterministic.

const RW: u32 = 64u;

struct Params {
    rows: u32, // n * c
    hw: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<storage, read_write> dv: array<f32>;

var<workgroup> part: array<f32, RW>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    // Rows wrap into a 2-D grid of at most GRID_ROW workgroups per row.
    let row = wid.x + wid.y * GRID_ROW;
    let valid = row < p.rows;
    var s = 0.0;
    if (valid) {
        let base = row * p.hw;
        for (var j = lid; j < p.hw; j += RW) {
            let g = dy[base + j];
            dx[base + j] += g;
            s += g;
        }
    }
    part[lid] = s;
    workgroupBarrier();
    for (var stride = RW / 2u; stride > 0u; stride /= 2u) {
        if (lid < stride) {
            part[lid] += part[lid + stride];
        }
        workgroupBarrier();
    }
    if (valid && lid == 0u) {
        dv[row] += part[0];
    }
}
