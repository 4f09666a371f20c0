// Bilinear x2 upsampling backward (align_corners = false), as a gather: each dx element sums
// weight(oy, iy) * weight(ox, ix) * dy[oy, ox] over the output rows/columns 2i-1 .. 2i+2 that
// can reference it, with the weights computed by the forward's own formula. No atomics.

struct Params {
    h: u32,
    w: u32,
    total: u32, // n * c * h * w inputs
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

// Weight with which output coordinate o reads input coordinate i (input extent n).
fn weight(o: u32, i: u32, n: u32) -> f32 {
    let s = max((f32(o) + 0.5) * 0.5 - 0.5, 0.0);
    let i0 = u32(s);
    let l = s - f32(i0);
    let i1 = min(i0 + 1u, n - 1u);
    return select(0.0, 1.0 - l, i0 == i) + select(0.0, l, i1 == i);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.total) {
        return;
    }
    let row = i / p.w;
    let ix = i - row * p.w;
    let plane = row / p.h;
    let iy = row - plane * p.h;
    let wo = 2u * p.w;
    let ho = 2u * p.h;
    let b = plane * ho * wo;
    // Candidate output ranges [2i - 1, 2i + 2] clipped to the output.
    let oy_lo = max(2u * iy, 1u) - 1u;
    let oy_hi = min(2u * iy + 2u, ho - 1u);
    let ox_lo = max(2u * ix, 1u) - 1u;
    let ox_hi = min(2u * ix + 2u, wo - 1u);
    var acc = 0.0;
    for (var oy = oy_lo; oy <= oy_hi; oy++) {
        let wy = weight(oy, iy, p.h);
        var racc = 0.0;
        for (var ox = ox_lo; ox <= ox_hi; ox++) {
            racc += weight(ox, ix, p.w) * dy[b + oy * wo + ox];
        }
        acc += wy * racc;
    }
    dx[i] += acc;
}
