// conv2d's input gradient summed over each image's pixels, without the gradient itself:
// dv[n, ci] += sum over (h, w) of dx[n, ci, h, w], dx = conv_transpose(dy, w) (stride 1,
// padding k/2, k = 3 or 1). The pixel sum moves inside the transposed conv:
// dv[n, ci] = sum over (co, ky, kx) of w[co, ci, ky, kx] * t[n, co, ky, kx], where t sums
// dy[n, co] over the output pixels whose tap (ky, kx) lands inside the image (all of them
// but a border row and/or column). Why: where x needs no gradient but a value broadcast-added
// to it does (the first ConvBlock's time MLP: x_t needs none in training), this reads dy
// once instead of running backward-input and the add's backward.
// This pass: one workgroup of RW per (n, co) row of dy writes t[n, co, :, :], each tap's
// partials added by a fixed-shape tree (deterministic); conv2d_input_sum_dot.wgsl then forms
// dv, one invocation per (n, ci), in a fixed order.

const RW: u32 = 64u;

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

var<workgroup> part: array<f32, 576>; // 9 taps x RW lanes

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    // Rows wrap into a 2-D grid of at most GRID_ROW workgroups per row.
    let row = wid.x + wid.y * GRID_ROW;
    let valid = row < p.rows;
    let pad = p.k / 2u;
    var acc: array<f32, 9>;
    if (valid) {
        let hw = p.h * p.w;
        let base = row * hw;
        for (var j = lid; j < hw; j += RW) {
            let oy = udiv(j, p.w);
            let ox = j - oy * p.w;
            let g = dy[base + j];
            // Tap (ky, kx) reads input pixel (oy + ky - pad, ox + kx - pad); offset by pad
            // so that the test stays unsigned.
            for (var ky = 0u; ky < 3u; ky++) {
                let row_in = oy + ky >= pad && oy + ky < p.h + pad;
                for (var kx = 0u; kx < 3u; kx++) {
                    let col_in = ox + kx >= pad && ox + kx < p.w + pad;
                    acc[ky * 3u + kx] += select(0.0, g, row_in && col_in);
                }
            }
        }
    }
    for (var q = 0u; q < 9u; q++) {
        part[q * RW + lid] = acc[q];
    }
    workgroupBarrier();
    for (var stride = RW / 2u; stride > 0u; stride /= 2u) {
        if (lid < stride) {
            for (var q = 0u; q < 9u; q++) {
                part[q * RW + lid] += part[q * RW + lid + stride];
            }
        }
        workgroupBarrier();
    }
    let kk = p.k * p.k;
    if (valid && lid < kk) {
        // tap lid of k x k is acc[ky * 3 + kx]
        let ky = lid / p.k;
        let kx = lid - ky * p.k;
        t[row * kk + lid] = part[(ky * 3u + kx) * RW];
    }
}
