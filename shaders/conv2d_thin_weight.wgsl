// The weight gradient of conv2d_thin.wgsl (3x3, padding 1, at most NCI input channels, on the
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
    let w4 = p.w / 4u;
    let first = split * p.per_split;
    let last = min(first + p.per_split, p.n * p.h);
    // Constant-indexed (the loops over j, ky and kx unroll), so they stay out of memory
    // that a dynamic index would force.
    var acc: array<vec4<f32>, 36>;
    var sum: array<vec4<f32>, 4>;
    for (var r = first; r < last; r++) {
        let n = r / p.h;
        let oy = r - n * p.h;
        for (var q = 0u; q < w4; q++) {
            var g4: array<vec4<f32>, 4>;
            for (var j = 0u; j < 4u; j++) {
                let co = g * 4u + j;
                if (co < p.cout) {
                    g4[j] = dy[((n * p.cout + co) * p.h + oy) * w4 + q];
                }
                sum[j] += g4[j];
            }
            for (var ky = 0u; ky < 3u; ky++) {
                let row = input_row(n, ci, i32(oy + ky) - 1, q);
                for (var j = 0u; j < 4u; j++) {
                    acc[j * 9u + ky * 3u] += g4[j] * row.t0;
                    acc[j * 9u + ky * 3u + 1u] += g4[j] * row.t1;
                    acc[j * 9u + ky * 3u + 2u] += g4[j] * row.t2;
                }
            }
        }
    }
    let o = ((split * p.cg + g) * p.cin + ci) * 36u;
    for (var k = 0u; k < 36u; k++) {
        let a = acc[k];
        part[o + k] = (a.x + a.y) + (a.z + a.w);
    }
    if (ci == 0u) {
        let ob = p.splits * p.cg * p.cin * 36u + (split * p.cg + g) * 4u;
        for (var j = 0u; j < 4u; j++) {
            let s = sum[j];
            part[ob + j] = (s.x + s.y) + (s.z + s.w);
        }
    }
}
