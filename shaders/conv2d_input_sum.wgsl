// conv2d's input gradient summed over each image's pixels, without the gradient itself:
// dv[n, ci] += sum over (h, w) of dx[n, ci, h, w], dx = conv_transpose(dy, w) (stride 1,
// padding k/2, k = 3 or 1). The pixel sum moves inside the transposed conv:
// dv[n, ci] = sum over (co, ky, kx) of w[co, ci, ky, kx] * t[n, co, ky, kx], where t sums
// dy[n, co] over the output pixels whose tap (ky, kx) lands inside the image (all of them
// but a border row and/or column). Why: where x needs no gradient but a value broadcast-added
// to it does (the first ConvBlock's time MLP: x_t needs none in training), this reads dy
// once instead of running backward-input and the add's backward.
// This pass: one invocation per (n, co) row of dy writes t[n, co, :, :], each tap's sum in
// pixel order (no workgroup barriers: on llvmpipe a barrier-tree reduction per row cost more
// than the whole backward-input it replaces); conv2d_input_sum_dot.wgsl then forms dv, one
// invocation per (n, ci), in a fixed order.

struct Params {
    rows: u32, // n * cout
    total: u32, // n * cin (conv2d_input_sum_dot)
    cin: u32,
    cout: u32,
    h: u32,
    w: u32,
    k: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> t: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row = flat_index(gid);
    if (row >= p.rows) {
        return;
    }
    // Tap (ky, kx) reads input pixel (oy + ky - pad, ox + kx - pad): it lands inside for the
    // output rows and columns where these hold (offset by pad to stay unsigned).
    let pad = p.k / 2u;
    var acc: array<f32, 9>;
    var base = row * p.h * p.w;
    for (var oy = 0u; oy < p.h; oy++) {
        // The row's sums over the columns each kx reaches.
        var cols = vec3<f32>(0.0);
        for (var ox = 0u; ox < p.w; ox++) {
            let g = dy[base + ox];
            let inside = vec3<u32>(ox) + vec3<u32>(0u, 1u, 2u);
            let ok = (inside >= vec3<u32>(pad)) & (inside < vec3<u32>(p.w + pad));
            cols += select(vec3<f32>(0.0), vec3<f32>(g), ok);
        }
        for (var ky = 0u; ky < 3u; ky++) {
            if (oy + ky >= pad && oy + ky < p.h + pad) {
                acc[ky * 3u] += cols.x;
                acc[ky * 3u + 1u] += cols.y;
                acc[ky * 3u + 2u] += cols.z;
            }
        }
        base += p.w;
    }
    let kk = p.k * p.k;
    for (var q = 0u; q < kk; q++) {
        // tap q of k x k is acc[ky * 3 + kx]
        let ky = q / p.k;
        t[row * kk + q] = acc[ky * 3u + q - ky * p.k];
    }
}
