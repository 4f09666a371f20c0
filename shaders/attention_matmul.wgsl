// The batched matrix products of multi-head self-attention (launchers:
// src/kernels/attention.rs). For z = image * heads + head:
//   out[z, i, j] (=|+=) scale * sum_t a[z, i, t] * b[z, t, j]
// Every operand is addressed through an offset and strides (per image, per head, per row, per
// column), so q, k and v are read in place from the in-projection's [n, L, 3C] rows (head h
// is columns h*d.. of each third), P and dS are read transposed where a product needs it, and
// gradients land straight in their third of dqkv. Each invocation computes a 4x4 tile, summing
// t in increasing order; rows and columns past the edge are clamped on load and dropped on
// store. The tile index is on the grid's x axis, z on its y axis.
//
// Entry points differ only in what they store:
//   product       out = scale * acc
//   accumulate    out += scale * acc
//   softmax_grad  out = scale * probs * (acc - rowdot[z, i])   (dS of a softmax, out and probs
//                 share one layout)

struct Params {
    m: u32, // rows of out
    n: u32, // columns of out
    k: u32, // summed length
    heads: u32,
    tiles_n: u32, // ceil(n / 4)
    tiles: u32, // ceil(m / 4) * tiles_n
    scale: f32,
    _pad0: u32,
    // a[z, i, t] = a[a_off + image * a_img + head * a_head + i * a_row + t * a_col]
    a_off: u32,
    a_img: u32,
    a_head: u32,
    a_row: u32,
    a_col: u32,
    // b[z, t, j], the same way
    b_off: u32,
    b_img: u32,
    b_head: u32,
    b_row: u32,
    b_col: u32,
    // out[z, i, j], the same way
    o_off: u32,
    o_img: u32,
    o_head: u32,
    o_row: u32,
    o_col: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> probs: array<f32>;
@group(0) @binding(5) var<storage, read> rowdot: array<f32>;

struct Tile {
    z: u32,
    i0: u32,
    j0: u32,
    // index of out[z, i0, j0]
    base: u32,
}

fn operand_base(z: u32, off: u32, img: u32, head: u32) -> u32 {
    let image = udiv(z, p.heads);
    return off + image * img + (z - image * p.heads) * head;
}

fn tile_of(gid: vec3<u32>) -> Tile {
    let ti = udiv(gid.x, p.tiles_n);
    var t: Tile;
    t.z = gid.y;
    t.i0 = ti * 4u;
    t.j0 = (gid.x - ti * p.tiles_n) * 4u;
    t.base = operand_base(t.z, p.o_off, p.o_img, p.o_head) + t.i0 * p.o_row + t.j0 * p.o_col;
    return t;
}

// acc[r][c] = sum_t a[z, i0 + r, t] * b[z, t, j0 + c] (edge rows and columns clamped).
fn tile_product(t: Tile) -> array<vec4<f32>, 4> {
    var ar: array<u32, 4>;
    var bc: array<u32, 4>;
    let ab = operand_base(t.z, p.a_off, p.a_img, p.a_head);
    let bb = operand_base(t.z, p.b_off, p.b_img, p.b_head);
    for (var r = 0u; r < 4u; r++) {
        ar[r] = ab + min(t.i0 + r, p.m - 1u) * p.a_row;
        bc[r] = bb + min(t.j0 + r, p.n - 1u) * p.b_col;
    }
    var acc: array<vec4<f32>, 4>;
    var ka = 0u;
    var kb = 0u;
    for (var kk = 0u; kk < p.k; kk++) {
        let bv = vec4<f32>(b[bc[0] + kb], b[bc[1] + kb], b[bc[2] + kb], b[bc[3] + kb]);
        for (var r = 0u; r < 4u; r++) {
            acc[r] += a[ar[r] + ka] * bv;
        }
        ka += p.a_col;
        kb += p.b_row;
    }
    return acc;
}

// Whether out[z, i0 + r, j0 + c] exists.
fn inside(t: Tile, r: u32, c: u32) -> bool {
    return t.i0 + r < p.m && t.j0 + c < p.n;
}

@compute @workgroup_size(256)
fn product(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.tiles) {
        return;
    }
    let t = tile_of(gid);
    let acc = tile_product(t);
    for (var r = 0u; r < 4u; r++) {
        for (var c = 0u; c < 4u; c++) {
            if (inside(t, r, c)) {
                out[t.base + r * p.o_row + c * p.o_col] = p.scale * acc[r][c];
            }
        }
    }
}

@compute @workgroup_size(256)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.tiles) {
        return;
    }
    let t = tile_of(gid);
    let acc = tile_product(t);
    for (var r = 0u; r < 4u; r++) {
        for (var c = 0u; c < 4u; c++) {
            if (inside(t, r, c)) {
                let o = t.base + r * p.o_row + c * p.o_col;
                out[o] += p.scale * acc[r][c];
            }
        }
    }
}

@compute @workgroup_size(256)
fn softmax_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.tiles) {
        return;
    }
    let t = tile_of(gid);
    let acc = tile_product(t);
    for (var r = 0u; r < 4u; r++) {
        let dr = rowdot[t.z * p.m + min(t.i0 + r, p.m - 1u)];
        for (var c = 0u; c < 4u; c++) {
            if (inside(t, r, c)) {
                let o = t.base + r * p.o_row + c * p.o_col;
                out[o] = p.scale * probs[o] * (acc[r][c] - dr);
            }
        }
    }
}
