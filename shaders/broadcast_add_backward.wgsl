// dx += dy;  dv[n, c] += sum_s dy[n, c, s]   (accumulates)
// One workgroup of 64 per (n, c) row: thread t handles s = t, t + 64, ... in order, then a
// fixed-shape tree in workgroup memory sums the 64 partials, so the result is deterministic.
// Entry `split`: dx is the gradient of cat(a, b) (the input of an up block), written
// straight into da (channels < ca) and db (the rest), so no concat backward pass is needed.
// `main_vec4` and `split_vec4` (hw % 4 == 0) do the same over vec4s: 4 values per load and
// store; a lane keeps four sums, added pairwise before the tree.

const RW: u32 = 64u;

struct Params {
    rows: u32, // n * c
    hw: u32,
    c: u32,
    ca: u32, // `split`: channels of a
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dv: array<f32>;
@group(0) @binding(4) var<storage, read_write> db: array<f32>;
@group(0) @binding(4) var<storage, read_write> db4: array<vec4<f32>>;

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
    finish(row, valid, lid, s);
}

@compute @workgroup_size(64)
fn split(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let row = wid.x + wid.y * GRID_ROW;
    let valid = row < p.rows;
    var s = 0.0;
    if (valid) {
        let base = row * p.hw;
        let n = row / p.c;
        let ch = row - n * p.c;
        // The row's place in a [n, ca] or b [n, c - ca] (a uniform choice per workgroup).
        let to_a = ch < p.ca;
        let arow = n * p.ca + ch;
        let brow = n * (p.c - p.ca) + ch - p.ca;
        for (var j = lid; j < p.hw; j += RW) {
            let g = dy[base + j];
            if (to_a) {
                dx[arow * p.hw + j] += g;
            } else {
                db[brow * p.hw + j] += g;
            }
            s += g;
        }
    }
    finish(row, valid, lid, s);
}

@compute @workgroup_size(64)
fn main_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let row = wid.x + wid.y * GRID_ROW;
    let valid = row < p.rows;
    var s = vec4<f32>(0.0);
    if (valid) {
        let l = p.hw / 4u;
        let base = row * l;
        for (var j = lid; j < l; j += RW) {
            let g = dy4[base + j];
            dx4[base + j] += g;
            s += g;
        }
    }
    finish(row, valid, lid, (s.x + s.y) + (s.z + s.w));
}

@compute @workgroup_size(64)
fn split_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let row = wid.x + wid.y * GRID_ROW;
    let valid = row < p.rows;
    var s = vec4<f32>(0.0);
    if (valid) {
        let l = p.hw / 4u;
        let base = row * l;
        let n = row / p.c;
        let ch = row - n * p.c;
        let to_a = ch < p.ca;
        let arow = n * p.ca + ch;
        let brow = n * (p.c - p.ca) + ch - p.ca;
        for (var j = lid; j < l; j += RW) {
            let g = dy4[base + j];
            if (to_a) {
                dx4[arow * l + j] += g;
            } else {
                db4[brow * l + j] += g;
            }
            s += g;
        }
    }
    finish(row, valid, lid, (s.x + s.y) + (s.z + s.w));
}

fn finish(row: u32, valid: bool, lid: u32, s: f32) {
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
