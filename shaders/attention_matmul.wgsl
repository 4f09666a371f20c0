// The batched products of multi-head self-attention (launchers: src/kernels/attention/), for
// z = image * heads + head. Each invocation computes 4 rows x 8 columns of the output:
//   - its 4 rows come from its own operand `a`, an array texture of rgba32float texels (read
//     as a read-only storage texture, as every kernel reads its textures: conv2d.wgsl says why)
//     (shaders/attention_texels.wgsl; packed by attention_pack, or S, P and dS as the scores
//     and softmax kernels store them);
//   - its 8 columns are the workgroup's (grid y), from the shared operand `bt`, packed by
//     attention_pack's `pack_shared` entry so that the 8 texels of one step are consecutive:
//     each lane loads one and hands it round with `spread` (a subgroup shuffle, or direct
//     loads where the adapter has no subgroups; see shaders/spread_*.wgsl).
// Why: on llvmpipe a storage load in a loop is a per-lane loop with bounds checks, a
// textureLoad one branch-free gather of 4 values, and a shuffle nearly free; a step of 4
// summed values costs 4 own texel loads + 1 shared one for 128 multiply-adds. (A first
// version on storage buffers with 4x4 tiles made the whole attention core 2.5x slower at
// L = 256 and 1024.) 16 invocations of 4 rows cover the 64 tokens of an 8x8 image.
// Two forms, each summing in increasing order:
//   inner  acc[z, i, c] = sum_t a[z, i, t] * b[z, c, t]  (a packed along t; shared texel
//          8 * step + j holds b[z, c0 + j, 4 * step ..])
//   outer  acc[z, i, c] = sum_t a[z, t, i] * b[z, t, c]  (a packed along i, one row per t, as P
//          and dS are stored; shared texel 8 * step + 2 * u + h holds b[z, 4 * step + u,
//          c0 + 4 * h ..])
// Rows past the edge are clamped on load and dropped on store; shared columns past the edge
// are zero. Entry points differ in the form and in what they store:
//   scores            inner; S texture (rows i of [z, L, L]) = scale * acc, -3e38 in columns
//                     past n so that the softmax gives them zero weight
//   product           inner; out = scale * acc   (out addressed by offset and strides)
//   accumulate        inner; out += scale * acc
//   outer_accumulate  outer; out += scale * acc
//   softmax_grad      inner; dS texture (in place of S) = scale * P * (acc - rowdot[z, i]),
//                     P read from the probabilities texture

// import spread, attention_texels

// Invocations per workgroup; must match MATMUL_WG in src/kernels/attention/mod.rs.
const WGS: u32 = 16u;

struct Params {
    m: u32, // rows of acc
    n: u32, // columns of acc
    k: u32, // outer: rows of a per z (the summed length)
    steps: u32, // steps of 4 summed values (inner: texels per row of a)
    heads: u32,
    cblocks: u32, // ceil(n / 8)
    scale: f32,
    sq_layer_h: u32, // layer height of the [z, L, L] textures (S, P, dS)
    a_rows: u32, // texture rows of a per z
    a_layer_h: u32,
    a_k4: u32, // texels per row of a
    n4: u32, // ceil(n / 4): texels per row of the S / dS texture
    // out[z, i, c] = out[o_off + image * o_img + head * o_head + i * o_row + c * o_col]
    o_off: u32,
    o_img: u32,
    o_head: u32,
    o_row: u32,
    o_col: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var a: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var bt: texture_storage_2d<rgba32float, read>;
// product, accumulate, outer_accumulate
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// scores (S), softmax_grad (dS)
@group(0) @binding(3) var sq_out: texture_storage_2d_array<rgba32float, write>;
// softmax_grad
@group(0) @binding(4) var probs: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(5) var<storage, read> rowdot: array<f32>;

// The texel of the shared operand bt that `spread` reads (shaders/spread.wgsl).
fn spread_texel(at: vec2<u32>) -> vec4<f32> {
    return textureLoad(bt, at);
}

// acc[c]: column c0 + c for the 4 rows (as a vec4). Every loop that indexes it has a
// constant trip count or is written out, so it stays in registers.
alias Acc = array<vec4<f32>, 8>;

struct Tile {
    z: u32,
    r0: u32, // first of the invocation's 4 rows
    c0: u32, // first of the workgroup's 8 columns
    base: u32, // index of the tile's first shared texel
}

fn tile_of(ids: Ids) -> Tile {
    // Lanes past the last row are not dropped: every lane must reach the shuffles.
    let z = ids.wid.z;
    let cb = ids.wid.y;
    return Tile(z, (ids.wid.x * WGS + ids.lid) * 4u, cb * 8u, (z * p.cblocks + cb) * p.steps * 8u);
}

fn inner(ids: Ids, t: Tile) -> Acc {
    var ar: array<vec2<u32>, 4>;
    for (var r = 0u; r < 4u; r++) {
        ar[r] = texel_row(t.z * p.a_rows + min(t.r0 + r, p.m - 1u), p.a_layer_h);
    }
    let lane = spread_lane(ids);
    var acc: Acc;
    var base = t.base;
    for (var s = 0u; s < p.steps; s++) {
        let mine = spread_load(base, lane);
        // Row r of am is row r0 + r of a, so bv * am = (a_r . bv) for the 4 rows.
        let am = mat4x4<f32>(
            textureLoad(a, vec2<u32>(s, ar[0].x), ar[0].y),
            textureLoad(a, vec2<u32>(s, ar[1].x), ar[1].y),
            textureLoad(a, vec2<u32>(s, ar[2].x), ar[2].y),
            textureLoad(a, vec2<u32>(s, ar[3].x), ar[3].y),
        );
        // Written out: every shuffle needs a constant lane.
        acc[0] += spread(mine, base, 0u) * am;
        acc[1] += spread(mine, base, 1u) * am;
        acc[2] += spread(mine, base, 2u) * am;
        acc[3] += spread(mine, base, 3u) * am;
        acc[4] += spread(mine, base, 4u) * am;
        acc[5] += spread(mine, base, 5u) * am;
        acc[6] += spread(mine, base, 6u) * am;
        acc[7] += spread(mine, base, 7u) * am;
        base += 8u;
    }
    return acc;
}

// acc += the 4 rows av (one summed index) times 8 shared columns (lo, hi).
fn outer_row(acc: ptr<function, Acc>, av: vec4<f32>, lo: vec4<f32>, hi: vec4<f32>) {
    (*acc)[0] += av * lo.x;
    (*acc)[1] += av * lo.y;
    (*acc)[2] += av * lo.z;
    (*acc)[3] += av * lo.w;
    (*acc)[4] += av * hi.x;
    (*acc)[5] += av * hi.y;
    (*acc)[6] += av * hi.z;
    (*acc)[7] += av * hi.w;
}

fn outer(ids: Ids, t: Tile) -> Acc {
    // The rows of one z are consecutive in one layer (Packed::new).
    let a0 = texel_row(t.z * p.a_rows, p.a_layer_h);
    let ax = min(t.r0 / 4u, p.a_k4 - 1u);
    let last = p.k - 1u;
    let lane = spread_lane(ids);
    var acc: Acc;
    var base = t.base;
    for (var s = 0u; s < p.steps; s++) {
        let mine = spread_load(base, lane);
        let i = s * 4u;
        // Rows past the last meet zero shared values; clamping keeps them finite.
        let av0 = textureLoad(a, vec2<u32>(ax, a0.x + min(i, last)), a0.y);
        let av1 = textureLoad(a, vec2<u32>(ax, a0.x + min(i + 1u, last)), a0.y);
        let av2 = textureLoad(a, vec2<u32>(ax, a0.x + min(i + 2u, last)), a0.y);
        let av3 = textureLoad(a, vec2<u32>(ax, a0.x + min(i + 3u, last)), a0.y);
        outer_row(&acc, av0, spread(mine, base, 0u), spread(mine, base, 1u));
        outer_row(&acc, av1, spread(mine, base, 2u), spread(mine, base, 3u));
        outer_row(&acc, av2, spread(mine, base, 4u), spread(mine, base, 5u));
        outer_row(&acc, av3, spread(mine, base, 6u), spread(mine, base, 7u));
        base += 8u;
    }
    return acc;
}

// Index into out of (z, i, c).
fn out_index(t: Tile, i: u32, c: u32) -> u32 {
    let image = udiv(t.z, p.heads);
    let head = t.z - image * p.heads;
    return p.o_off + image * p.o_img + head * p.o_head + i * p.o_row + c * p.o_col;
}

fn store(t: Tile, acc: Acc, accumulate: bool) {
    for (var c = 0u; c < 8u; c++) {
        for (var r = 0u; r < 4u; r++) {
            if (t.r0 + r < p.m && t.c0 + c < p.n) {
                let o = out_index(t, t.r0 + r, t.c0 + c);
                var base = 0.0;
                if (accumulate) {
                    base = out[o];
                }
                out[o] = base + p.scale * acc[c][r];
            }
        }
    }
}

@compute @workgroup_size(WGS)
fn product(ids: Ids) {
    let t = tile_of(ids);
    store(t, inner(ids, t), false);
}

@compute @workgroup_size(WGS)
fn accumulate(ids: Ids) {
    let t = tile_of(ids);
    store(t, inner(ids, t), true);
}

@compute @workgroup_size(WGS)
fn outer_accumulate(ids: Ids) {
    let t = tile_of(ids);
    store(t, outer(ids, t), true);
}

// Row r of the tile as the two texels of its 8 columns.
fn row_texels(acc: Acc, r: u32) -> array<vec4<f32>, 2> {
    return array<vec4<f32>, 2>(
        vec4<f32>(acc[0][r], acc[1][r], acc[2][r], acc[3][r]),
        vec4<f32>(acc[4][r], acc[5][r], acc[6][r], acc[7][r]),
    );
}

@compute @workgroup_size(WGS)
fn scores(ids: Ids) {
    let t = tile_of(ids);
    let acc = inner(ids, t);
    for (var r = 0u; r < 4u; r++) {
        if (t.r0 + r < p.m) {
            let at = texel_row(t.z * p.m + t.r0 + r, p.sq_layer_h);
            let v = row_texels(acc, r);
            for (var h = 0u; h < 2u; h++) {
                let x = t.c0 / 4u + h;
                let col = vec4<u32>(x * 4u) + vec4<u32>(0u, 1u, 2u, 3u);
                if (x < p.n4) {
                    let s = select(vec4<f32>(-3e38), p.scale * v[h], col < vec4<u32>(p.n));
                    textureStore(sq_out, vec2<u32>(x, at.x), at.y, s);
                }
            }
        }
    }
}

@compute @workgroup_size(WGS)
fn softmax_grad(ids: Ids) {
    let t = tile_of(ids);
    let acc = inner(ids, t);
    for (var r = 0u; r < 4u; r++) {
        let i = t.r0 + r;
        if (i < p.m) {
            let at = texel_row(t.z * p.m + i, p.sq_layer_h);
            let v = row_texels(acc, r);
            let dr = vec4<f32>(rowdot[t.z * p.m + i]);
            for (var h = 0u; h < 2u; h++) {
                let x = t.c0 / 4u + h;
                if (x < p.n4) {
                    // P is zero past column n, and so is dS.
                    let pv = textureLoad(probs, vec2<u32>(x, at.x), at.y);
                    textureStore(sq_out, vec2<u32>(x, at.x), at.y, p.scale * pv * (v[h] - dr));
                }
            }
        }
    }
}
