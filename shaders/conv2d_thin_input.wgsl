// Library: the input window of conv2d_thin.wgsl and conv2d_thin_weight.wgsl: x [n, cin, h, w]
// as vec4 quads of adjacent pixels, or x + v[n, ci] over the pixels (`p.add`), zero outside
// the image.

// The 6 input values under the 3 taps of input row iy for output quad q (columns 4q - 1 ..
// 4q + 4), as the three vec4s that taps kx = 0, 1, 2 multiply.
struct Row {
    t0: vec4<f32>,
    t1: vec4<f32>,
    t2: vec4<f32>,
}

fn input_row(n: u32, ci: u32, iy: i32, q: u32) -> Row {
    let inside = iy >= 0 && iy < i32(p.h);
    let w4 = p.w / 4u;
    let base = ((n * p.cin + ci) * p.h + u32(clamp(iy, 0, i32(p.h) - 1))) * w4;
    let add = select(0.0, v[n * p.cin + ci], p.add == 1u);
    let l = select(0.0, x[base + max(q, 1u) - 1u].w + add, inside && q > 0u);
    let r = select(0.0, x[base + min(q + 1u, w4 - 1u)].x + add, inside && q + 1u < w4);
    let m = select(vec4<f32>(0.0), x[base + q] + add, inside);
    return Row(vec4<f32>(l, m.xyz), m, vec4<f32>(m.yzw, r));
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
struct Params {
    cin: u32,
    h: u32,
    w: u32,
    add: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
// #endif
