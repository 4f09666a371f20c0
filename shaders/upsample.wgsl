// Bilinear x2 upsampling, align_corners = false (PyTorch's default): for an output
// coordinate o, src = max((o + 0.5) / 2 - 0.5, 0), i0 = floor(src), i1 = min(i0 + 1, in - 1),
// lambda = src - i0. For x2 this gives fixed weights: outputs 2a+1 and 2a+2 blend input
// rows a and a+1 with (0.75, 0.25) and (0.25, 0.75); at the borders (a = -1 or a + 1 = in)
// the one valid row is copied (PyTorch's lambda = 0 or i0 == i1 cases).
// Each thread owns the 2x2 output block (2a+1..2a+2, 2b+1..2b+2) for a in -1..h-1,
// b in -1..w-1, so it reads 4 inputs and writes up to 4 outputs.

// import pool_params, grid_1d

// Params: shaders/pool_params.wgsl; total = n * c * (h+1) * (w+1) threads.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn item(i: u32) {
    let bw = p.w + 1u;
    let bh = p.h + 1u;
    let row = i / bw;
    let bx = i - row * bw;     // b + 1
    let plane = row / bh;
    let by = row - plane * bh; // a + 1
    // Input rows/cols a, a+1 clamped into range.
    let ya = max(by, 1u) - 1u;
    let yb = min(by, p.h - 1u);
    let xa = max(bx, 1u) - 1u;
    let xb = min(bx, p.w - 1u);
    let base = plane * p.h * p.w;
    let v00 = x[base + ya * p.w + xa];
    let v01 = x[base + ya * p.w + xb];
    let v10 = x[base + yb * p.w + xa];
    let v11 = x[base + yb * p.w + xb];
    // Horizontal blends for both rows; a clamped column copies (weights 1, 0).
    let cx = bx == 0u || bx == p.w;
    let l0 = select(0.75 * v00 + 0.25 * v01, v00, cx); // column 2b+1, row a
    let r0 = select(0.25 * v00 + 0.75 * v01, v01, cx); // column 2b+2, row a
    let l1 = select(0.75 * v10 + 0.25 * v11, v10, cx);
    let r1 = select(0.25 * v10 + 0.75 * v11, v11, cx);
    let cy = by == 0u || by == p.h;
    let wo = 2u * p.w;
    let obase = plane * 4u * p.h * p.w;
    // Output row 2a+1 = 2by-1 exists when by >= 1; row 2a+2 = 2by when by < h.
    // Output col 2bx-1 exists when bx >= 1; col 2bx when bx < w.
    if (by >= 1u) {
        let o = obase + (2u * by - 1u) * wo;
        let tl = select(0.75 * l0 + 0.25 * l1, l0, cy);
        let tr = select(0.75 * r0 + 0.25 * r1, r0, cy);
        if (bx >= 1u) { y[o + 2u * bx - 1u] = tl; }
        if (bx < p.w) { y[o + 2u * bx] = tr; }
    }
    if (by < p.h) {
        let o = obase + 2u * by * wo;
        let bl = select(0.25 * l0 + 0.75 * l1, l1, cy);
        let br = select(0.25 * r0 + 0.75 * r1, r1, cy);
        if (bx >= 1u) { y[o + 2u * bx - 1u] = bl; }
        if (bx < p.w) { y[o + 2u * bx] = br; }
    }
}

// align_corners = true (the seed-003 network's nn.Upsample): output o reads src = o * s with
// s = (in - 1) / (2 in - 1), so the weights vary per output; one thread per output element,
// total = n * c * 2h * 2w.
@compute @workgroup_size(256)
fn aligned(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.total) {
        return;
    }
    let wo = 2u * p.w;
    let row = i / wo;
    let ox = i - row * wo;
    let plane = row / (2u * p.h);
    let oy = row - plane * 2u * p.h;
    let sy = aligned_source(oy, p.h);
    let sx = aligned_source(ox, p.w);
    let base = plane * p.h * p.w;
    let top = mix(x[base + sy.i0 * p.w + sx.i0], x[base + sy.i0 * p.w + sx.i1], sx.l);
    let bot = mix(x[base + sy.i1 * p.w + sx.i0], x[base + sy.i1 * p.w + sx.i1], sx.l);
    y[i] = mix(top, bot, sy.l);
}

struct Source {
    i0: u32,
    i1: u32,
    l: f32,
}

fn aligned_source(o: u32, n: u32) -> Source {
    // PyTorch's order in f32: the scale first, then times o.
    let src = (f32(n - 1u) / f32(2u * n - 1u)) * f32(o);
    let i0 = min(u32(floor(src)), n - 1u);
    return Source(i0, min(i0 + 1u, n - 1u), src - f32(i0));
}
