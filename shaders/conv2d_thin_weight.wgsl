// The weight gradient of conv2d_thin.wgsl (3x3, padding 1, a few input channels, on the
// NCHW buffers): over one split of the n * h output rows, the partial sums of
// dw[co, ci, ky, kx] = sum over (n, pixel) of dy[n, co] times the input under tap (ky, kx),
// and (lanes of ci = 0) of db[co] = sum dy[n, co]. One invocation per (split, group of 4
// output channels, ci), 4 adjacent pixels at a time as vec4s;
// conv2d_thin_weight_reduce.wgsl adds the partials up in split order (deterministic, no
// atomics).

// import conv2d_thin_input

struct Params {
    n: u32,
    cin: u32,
    cout: u32,
    h: u32,
    w: u32,
    cg: u32, // groups of 4 output channels: ceil(cout / 4)
    total: u32, // splits * cg * cin
    add: u32, // 1: the input is x + v
    splits: u32,
    per_split: u32, // output rows (of n * h) per split
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> part: array<f32>;

// acc[3 ky + kx] += g times the input under tap (ky, kx), for one kernel row ky.
fn tap_row(acc: ptr<function, array<vec4<f32>, 9>>, g: vec4<f32>, row: Row, ky: u32) {
    (*acc)[ky * 3u] += g * row.t0;
    (*acc)[ky * 3u + 1u] += g * row.t1;
    (*acc)[ky * 3u + 2u] += g * row.t2;
}

// Kernel row ky for the group's 4 output channels, whose dy quads are the columns of gq.
fn taps(
    a0: ptr<function, array<vec4<f32>, 9>>,
    a1: ptr<function, array<vec4<f32>, 9>>,
    a2: ptr<function, array<vec4<f32>, 9>>,
    a3: ptr<function, array<vec4<f32>, 9>>,
    gq: mat4x4<f32>,
    row: Row,
    ky: u32,
) {
    tap_row(a0, gq[0], row, ky);
    tap_row(a1, gq[1], row, ky);
    tap_row(a2, gq[2], row, ky);
    tap_row(a3, gq[3], row, ky);
}

// dy of output channel co at quad q of row (n, oy); zero past cout.
fn dy_quad(n: u32, co: u32, oy: u32, q: u32) -> vec4<f32> {
    let i = ((n * p.cout + min(co, p.cout - 1u)) * p.h + oy) * (p.w / 4u) + q;
    return select(vec4<f32>(0.0), dy[i], co < p.cout);
}

// The 9 partial sums of one output channel j of the group, after those of the lower ones.
fn store_taps(o: u32, acc: array<vec4<f32>, 9>) {
    for (var k = 0u; k < 9u; k++) {
        let a = acc[k];
        part[o + k] = (a.x + a.y) + (a.z + a.w);
    }
}

// part[((split * cg + g) * cin + ci) * 36 + j * 9 + tap]: the partial dw of output channel
// g * 4 + j; after all of those, part[splits * cg * cin * 36 + (split * cg + g) * 4 + j] the
// partial db.
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = flat_index(gid);
    if (t >= p.total) {
        return;
    }
    let ci = t % p.cin;
    let g = (t / p.cin) % p.cg;
    let split = t / (p.cin * p.cg);
    let first = split * p.per_split;
    let last = min(first + p.per_split, p.n * p.h);
    // One array per output channel, every index a constant (the kernel rows and channels
    // are written out, not looped: Mesa 22.3 does not unroll loops this large), so that none
    // goes to memory.
    var a0: array<vec4<f32>, 9>;
    var a1: array<vec4<f32>, 9>;
    var a2: array<vec4<f32>, 9>;
    var a3: array<vec4<f32>, 9>;
    var sum = mat4x4<f32>();
    for (var r = first; r < last; r++) {
        let n = r / p.h;
        let oy = r - n * p.h;
        var win = window_start(n, ci, oy);
        for (var q = 0u; q < p.w / 4u; q++) {
            let gq = mat4x4<f32>(
                dy_quad(n, g * 4u, oy, q),
                dy_quad(n, g * 4u + 1u, oy, q),
                dy_quad(n, g * 4u + 2u, oy, q),
                dy_quad(n, g * 4u + 3u, oy, q),
            );
            sum += gq;
            let next = input_quads(n, ci, oy, q + 1u);
            taps(&a0, &a1, &a2, &a3, gq, window_row(win, next, 0u), 0u);
            taps(&a0, &a1, &a2, &a3, gq, window_row(win, next, 1u), 1u);
            taps(&a0, &a1, &a2, &a3, gq, window_row(win, next, 2u), 2u);
            win = Window(win.cur, next);
        }
    }
    let o = ((split * p.cg + g) * p.cin + ci) * 36u;
    store_taps(o, a0);
    store_taps(o + 9u, a1);
    store_taps(o + 18u, a2);
    store_taps(o + 27u, a3);
    if (ci == 0u) {
        let ob = p.splits * p.cg * p.cin * 36u + (split * p.cg + g) * 4u;
        for (var j = 0u; j < 4u; j++) {
            let s = sum[j];
            part[ob + j] = (s.x + s.y) + (s.z + s.w);
        }
    }
}
