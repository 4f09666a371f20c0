// Library: the input window of conv2d_thin.wgsl and conv2d_thin_weight.wgsl: x [n, cin, h, w]
// as vec4 quads of adjacent pixels, or x + v[n, ci] over the pixels (`p.add`), zero outside
// the image. The 3 input rows under an output row slide along its quads, so each input quad
// is loaded once, not 3 times (a quad's edge neighbours come from the quads before and after
// it): on llvmpipe each load is a per-lane loop, and these passes do little else.

// The 6 input values under the 3 taps of one input row for an output quad (columns 4q - 1 ..
// 4q + 4), as the three vec4s that taps kx = 0, 1, 2 multiply.
struct Row {
    t0: vec4<f32>,
    t1: vec4<f32>,
    t2: vec4<f32>,
}

// Columns ky of each: input row oy - 1 + ky.
struct Window {
    prev: mat3x4<f32>, // quads q - 1 (zero before the first)
    cur: mat3x4<f32>, // quads q
}

// Quad q of input row iy; zero outside the image and past the row's last quad.
fn input_quad(n: u32, ci: u32, iy: i32, q: u32) -> vec4<f32> {
    let w4 = p.w / 4u;
    let inside = iy >= 0 && iy < i32(p.h) && q < w4;
    let base = ((n * p.cin + ci) * p.h + u32(clamp(iy, 0, i32(p.h) - 1))) * w4;
    let add = select(0.0, v[n * p.cin + ci], p.add == 1u);
    return select(vec4<f32>(0.0), x[base + min(q, w4 - 1u)] + add, inside);
}

// Quad q of the 3 input rows under output row oy.
fn input_quads(n: u32, ci: u32, oy: u32, q: u32) -> mat3x4<f32> {
    let iy = i32(oy);
    return mat3x4<f32>(input_quad(n, ci, iy - 1, q), input_quad(n, ci, iy, q), input_quad(n, ci, iy + 1, q));
}

// The window at the first quad of output row oy.
fn window_start(n: u32, ci: u32, oy: u32) -> Window {
    return Window(mat3x4<f32>(), input_quads(n, ci, oy, 0u));
}

// Kernel row ky's taps at the window's quad, given the next quads.
fn window_row(win: Window, next: mat3x4<f32>, ky: u32) -> Row {
    let c = win.cur[ky];
    return Row(vec4<f32>(win.prev[ky].w, c.xyz), c, vec4<f32>(c.yzw, next[ky].x));
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
