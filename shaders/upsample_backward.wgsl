// Bilinear x2 upsampling backward (align_corners = false), as a gather: each dx element sums
// wy * wx * dy over the output rows/columns 2i-1 .. 2i+2 that read it. For x2 the weights are
// fixed, (0.25, 0.75, 0.75, 0.25); at a border the missing neighbour's 0.25 folds into the
// nearest output (PyTorch's clamped source index), and out-of-range outputs get weight 0.
// No atomics: each thread owns one dx element.

// import pool_params, grid_1d

// Params: shaders/pool_params.wgsl; total = n * c * h * w inputs.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

struct Input {
    ix: u32,
    iy: u32,
    b: u32, // first dy index of the plane
}

// Where dx element i lies: its column, row and plane.
fn input_at(i: u32) -> Input {
    let row = i / p.w;
    let plane = row / p.h;
    return Input(i - row * p.w, row - plane * p.h, plane * 4u * p.h * p.w);
}

// Weights of outputs 2i-1, 2i, 2i+1, 2i+2 for input i of extent n.
fn weights(i: u32, n: u32) -> vec4<f32> {
    let first = i == 0u;
    let last = i + 1u == n;
    return vec4<f32>(
        select(0.25, 0.0, first),
        select(0.75, 1.0, first),
        select(0.75, 1.0, last),
        select(0.25, 0.0, last),
    );
}

fn item(i: u32) {
    let at = input_at(i);
    let ix = at.ix;
    let iy = at.iy;
    let wo = 2u * p.w;
    let wy = weights(iy, p.h);
    let wx = weights(ix, p.w);
    // Clamped (always in-bounds) columns; out-of-range ones have weight 0.
    let c0 = max(2u * ix, 1u) - 1u;
    let c1 = 2u * ix;
    let c2 = 2u * ix + 1u;
    let c3 = min(2u * ix + 2u, wo - 1u);
    let r0 = max(2u * iy, 1u) - 1u;
    let rows = vec4<u32>(r0, 2u * iy, 2u * iy + 1u, min(2u * iy + 2u, 2u * p.h - 1u));
    var acc = 0.0;
    for (var k = 0u; k < 4u; k++) {
        let o = at.b + rows[k] * wo;
        let v = vec4<f32>(dy[o + c0], dy[o + c1], dy[o + c2], dy[o + c3]);
        acc += wy[k] * dot(wx, v);
    }
    dx[i] += acc;
}

// align_corners = true: input i gets dy[o] * hat(o * s - i) from the outputs whose source
// lies within one pixel of it, hat(d) = max(1 - |d|, 0), s = (in - 1) / (2 in - 1) (at most
// 7 outputs per axis since 1/s <= 3; with in = 1, s = 0 and every output reads input 0).
fn aligned_range(i: u32, n: u32) -> vec2<u32> {
    if (n == 1u) {
        return vec2<u32>(0u, 1u);
    }
    let r = f32(2u * n - 1u) / f32(n - 1u);
    let lo = u32(max(ceil((f32(i) - 1.0) * r - 1e-3), 0.0));
    let hi = min(u32(floor((f32(i) + 1.0) * r + 1e-3)), 2u * n - 1u);
    return vec2<u32>(lo, hi);
}

fn hat(o: u32, i: u32, n: u32) -> f32 {
    let src = f32(o) * f32(n - 1u) / f32(2u * n - 1u);
    return max(1.0 - abs(src - f32(i)), 0.0);
}

@compute @workgroup_size(256)
fn aligned(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.total) {
        return;
    }
    let at = input_at(i);
    let ry = aligned_range(at.iy, p.h);
    let rx = aligned_range(at.ix, p.w);
    let wo = 2u * p.w;
    var acc = 0.0;
    for (var oy = ry.x; oy <= ry.y; oy++) {
        let wy = hat(oy, at.iy, p.h);
        var row_acc = 0.0;
        for (var ox = rx.x; ox <= rx.y; ox++) {
            row_acc += hat(ox, at.ix, p.w) * dy[at.b + oy * wo + ox];
        }
        acc += wy * row_acc;
    }
    dx[i] += acc;
}
