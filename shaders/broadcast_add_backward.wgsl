// dx += dy;  dv[n, c] += sum_s dy[n, c, s]   (accumulates)
// A workgroup covers ROWS (n, c) rows with LANES invocations each: lane t of a row handles
// s = t, t + LANES, ... in order, then the row's first lane adds the LANES partial sums in
// order, so the result is deterministic. One barrier per workgroup: on llvmpipe a barrier
// and each level of a tree cost every 8-lane batch of the workgroup, which made a 64-lane
// tree per row cost more than the row's data (BENCHMARKS.md, issue 23); 8 lanes per row
// read 8 consecutive values (or vec4s) at a time.
// Entry `split`: dx is the gradient of cat(a, b) (the input of an up block), written
// straight into da (channels < ca) and db (the rest), so no concat backward pass is needed.
// `main_vec4` and `split_vec4` (hw % 4 == 0) do the same over vec4s: 4 values per load and
// store; a lane keeps four sums, added pairwise before the row's sum.

// Must match src/kernels/broadcast_add.rs.
const LANES: u32 = 8u;
const ROWS: u32 = 32u; // WG / LANES

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

var<workgroup> part: array<f32, WG>;

// An invocation's row and its lane in it; workgroups wrap into a 2-D grid of at most
// GRID_ROW per grid row.
struct Row {
    row: u32,
    lane: u32,
    valid: bool,
}

fn row_of(wid: vec3<u32>, lid: u32) -> Row {
    let row = (wid.x + wid.y * GRID_ROW) * ROWS + lid / LANES;
    return Row(row, lid % LANES, row < p.rows);
}

// `split`: a row's place in a [n, ca] or b [n, c - ca] (to_a: whether in a).
struct Dest {
    to_a: bool,
    row: u32,
}

fn dest_of(row: u32) -> Dest {
    let n = row / p.c;
    let ch = row - n * p.c;
    if (ch < p.ca) {
        return Dest(true, n * p.ca + ch);
    }
    return Dest(false, n * (p.c - p.ca) + ch - p.ca);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let r = row_of(wid, lid);
    var s = 0.0;
    if (r.valid) {
        let base = r.row * p.hw;
        for (var j = r.lane; j < p.hw; j += LANES) {
            let g = dy[base + j];
            dx[base + j] += g;
            s += g;
        }
    }
    finish(r, lid, s);
}

@compute @workgroup_size(256)
fn split(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let r = row_of(wid, lid);
    var s = 0.0;
    if (r.valid) {
        let base = r.row * p.hw;
        let d = dest_of(r.row);
        let out = d.row * p.hw;
        for (var j = r.lane; j < p.hw; j += LANES) {
            let g = dy[base + j];
            if (d.to_a) {
                dx[out + j] += g;
            } else {
                db[out + j] += g;
            }
            s += g;
        }
    }
    finish(r, lid, s);
}

@compute @workgroup_size(256)
fn main_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let r = row_of(wid, lid);
    var s = vec4<f32>(0.0);
    if (r.valid) {
        let l = p.hw / 4u;
        let base = r.row * l;
        for (var j = r.lane; j < l; j += LANES) {
            let g = dy4[base + j];
            dx4[base + j] += g;
            s += g;
        }
    }
    finish(r, lid, (s.x + s.y) + (s.z + s.w));
}

@compute @workgroup_size(256)
fn split_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let r = row_of(wid, lid);
    var s = vec4<f32>(0.0);
    if (r.valid) {
        let l = p.hw / 4u;
        let base = r.row * l;
        let d = dest_of(r.row);
        let out = d.row * l;
        for (var j = r.lane; j < l; j += LANES) {
            let g = dy4[base + j];
            if (d.to_a) {
                dx4[out + j] += g;
            } else {
                db4[out + j] += g;
            }
            s += g;
        }
    }
    finish(r, lid, (s.x + s.y) + (s.z + s.w));
}

// The row's first lane adds its LANES partial sums in lane order to dv.
fn finish(r: Row, lid: u32, s: f32) {
    part[lid] = s;
    workgroupBarrier();
    if (r.valid && r.lane == 0u) {
        var t = part[lid];
        for (var i = 1u; i < LANES; i++) {
            t += part[lid + i];
        }
        dv[r.row] += t;
    }
}
