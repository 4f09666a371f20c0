// The batched products of multi-head self-attention (launchers: src/kernels/attention/), for
// z = image * heads + head, with both operands in textures of rgba32float texels
// (shaders/attention_texels.wgsl; packed by attention_pack, or written so by the scores and
// softmax kernels). Why textures: on llvmpipe a storage load in a loop is a per-lane loop with
// bounds checks, while a textureLoad is one branch-free gather of 4 values (a storage-buffer
// version of this kernel ran at a third of the speed). Two forms, each invocation computing
// an 8x4 tile of acc and summing in increasing order:
//   inner  acc[z, i, j] = sum_t a[z, i, t] * b[z, j, t]   (a, b packed along t; 12 texel loads
//          per 4 t)
//   outer  acc[z, i, j] = sum_t a[z, t, i] * b[z, t, j]   (a packed along i, b along j, both with
//          one row per t; 3 texel loads per t), which reads P and dS as they are stored
// Rows and columns past the edge are clamped on load (or read the zeros past the end of a
// row) and dropped on store. The tile index is on the grid's x axis, z on its y axis. Entry
// points differ in the form and in what they store:
//   scores            inner; S texture (rows i of [z, L, L]) = scale * acc, -3e38 in columns
//                     past n so that the softmax gives them zero weight
//   product           inner; out = scale * acc   (out addressed by offset and strides)
//   accumulate        inner; out += scale * acc
//   outer_accumulate  outer; out += scale * acc
//   softmax_grad      inner; dS texture (in place of S) = scale * P * (acc - rowdot[z, i]),
//                     P read from the probabilities texture

const TM: u32 = 8u; // rows of a tile (its 4 columns are one vec4)

struct Params {
    m: u32, // rows of acc
    n: u32, // columns of acc
    k: u32, // summed length (inner: texels per row; outer: rows per z)
    heads: u32,
    tiles_n: u32, // ceil(n / 4)
    tiles: u32, // ceil(m / TM) * tiles_n
    scale: f32,
    sq_layer_h: u32, // layer height of the [z, L, L] textures (S, P, dS)
    a_rows: u32, // texture rows per z of a and b
    b_rows: u32,
    a_layer_h: u32,
    b_layer_h: u32,
    a_k4: u32, // texels per row of a (outer: the last one readable)
    // out[z, i, j] = out[o_off + image * o_img + head * o_head + i * o_row + j * o_col]
    o_off: u32,
    o_img: u32,
    o_head: u32,
    o_row: u32,
    o_col: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var a: texture_2d_array<f32>;
@group(0) @binding(2) var b: texture_2d_array<f32>;
// product, accumulate, outer_accumulate
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// scores (S), softmax_grad (dS)
@group(0) @binding(3) var sq_out: texture_storage_2d_array<rgba32float, write>;
// softmax_grad
@group(0) @binding(4) var probs: texture_2d_array<f32>;
@group(0) @binding(5) var<storage, read> rowdot: array<f32>;

alias Acc = array<vec4<f32>, TM>;

struct Tile {
    z: u32,
    i0: u32,
    j0: u32,
}

fn tile_of(gid: vec3<u32>) -> Tile {
    let ti = udiv(gid.x, p.tiles_n);
    return Tile(gid.y, ti * TM, (gid.x - ti * p.tiles_n) * 4u);
}

fn inner(t: Tile) -> Acc {
    var ar: array<vec2<u32>, TM>;
    for (var r = 0u; r < TM; r++) {
        ar[r] = texel_row(t.z * p.a_rows + min(t.i0 + r, p.m - 1u), p.a_layer_h);
    }
    var br: array<vec2<u32>, 4>;
    for (var c = 0u; c < 4u; c++) {
        br[c] = texel_row(t.z * p.b_rows + min(t.j0 + c, p.n - 1u), p.b_layer_h);
    }
    var acc: Acc;
    for (var t4 = 0u; t4 < p.k; t4++) {
        let b0 = textureLoad(b, vec2<u32>(t4, br[0].x), br[0].y, 0);
        let b1 = textureLoad(b, vec2<u32>(t4, br[1].x), br[1].y, 0);
        let b2 = textureLoad(b, vec2<u32>(t4, br[2].x), br[2].y, 0);
        let b3 = textureLoad(b, vec2<u32>(t4, br[3].x), br[3].y, 0);
        for (var r = 0u; r < TM; r++) {
            let av = textureLoad(a, vec2<u32>(t4, ar[r].x), ar[r].y, 0);
            acc[r] += vec4<f32>(dot(av, b0), dot(av, b1), dot(av, b2), dot(av, b3));
        }
    }
    return acc;
}

fn outer(t: Tile) -> Acc {
    // Rows of one z never straddle two layers (Packed::new), so the row advances by one y.
    let a0 = texel_row(t.z * p.a_rows, p.a_layer_h);
    let b0 = texel_row(t.z * p.b_rows, p.b_layer_h);
    let ax = min(t.i0 / 4u, p.a_k4 - 1u);
    let ax1 = min(t.i0 / 4u + 1u, p.a_k4 - 1u);
    let bx = t.j0 / 4u;
    var acc: Acc;
    for (var i = 0u; i < p.k; i++) {
        let lo = textureLoad(a, vec2<u32>(ax, a0.x + i), a0.y, 0);
        let hi = textureLoad(a, vec2<u32>(ax1, a0.x + i), a0.y, 0);
        let bv = textureLoad(b, vec2<u32>(bx, b0.x + i), b0.y, 0);
        acc[0] += lo.x * bv;
        acc[1] += lo.y * bv;
        acc[2] += lo.z * bv;
        acc[3] += lo.w * bv;
        acc[4] += hi.x * bv;
        acc[5] += hi.y * bv;
        acc[6] += hi.z * bv;
        acc[7] += hi.w * bv;
    }
    return acc;
}

// Index into out of (z, i, j).
fn out_index(t: Tile, i: u32, j: u32) -> u32 {
    let image = udiv(t.z, p.heads);
    return p.o_off + image * p.o_img + (t.z - image * p.heads) * p.o_head + i * p.o_row + j * p.o_col;
}

fn store(t: Tile, acc: Acc, accumulate: bool) {
    for (var r = 0u; r < TM; r++) {
        for (var c = 0u; c < 4u; c++) {
            if (t.i0 + r < p.m && t.j0 + c < p.n) {
                let o = out_index(t, t.i0 + r, t.j0 + c);
                var base = 0.0;
                if (accumulate) {
                    base = out[o];
                }
                out[o] = base + p.scale * acc[r][c];
            }
        }
    }
}

@compute @workgroup_size(256)
fn product(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x < p.tiles) {
        let t = tile_of(gid);
        store(t, inner(t), false);
    }
}

@compute @workgroup_size(256)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x < p.tiles) {
        let t = tile_of(gid);
        store(t, inner(t), true);
    }
}

@compute @workgroup_size(256)
fn outer_accumulate(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x < p.tiles) {
        let t = tile_of(gid);
        store(t, outer(t), true);
    }
}

@compute @workgroup_size(256)
fn scores(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.tiles) {
        return;
    }
    let t = tile_of(gid);
    let acc = inner(t);
    let live = vec4<u32>(t.j0) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(p.n);
    for (var r = 0u; r < TM; r++) {
        if (t.i0 + r < p.m) {
            let at = texel_row(t.z * p.m + t.i0 + r, p.sq_layer_h);
            let v = select(vec4<f32>(-3e38), p.scale * acc[r], live);
            textureStore(sq_out, vec2<u32>(t.j0 / 4u, at.x), at.y, v);
        }
    }
}

@compute @workgroup_size(256)
fn softmax_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.tiles) {
        return;
    }
    let t = tile_of(gid);
    let acc = inner(t);
    for (var r = 0u; r < TM; r++) {
        let i = t.i0 + r;
        if (i < p.m) {
            // P is zero past column n, and so is dS.
            let at = texel_row(t.z * p.m + i, p.sq_layer_h);
            let pv = textureLoad(probs, vec2<u32>(t.j0 / 4u, at.x), at.y, 0);
            let v = p.scale * pv * (acc[r] - vec4<f32>(rowdot[t.z * p.m + i]));
            textureStore(sq_out, vec2<u32>(t.j0 / 4u, at.x), at.y, v);
        }
    }
}
