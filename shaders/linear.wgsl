// y[m, n] = sum_k x[m, k] * w[n, k] + b[n]   (w is PyTorch's [out, in]; overwrites y)
// Register tiling: each invocation computes a 4 (rows of x) x 4 (outputs) block, summing
// over k in increasing order. Loads past the edge are clamped and their results dropped.

struct Params {
    m: u32,
    k: u32,
    n: u32,
    n_blocks: u32, // ceil(n / 4)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let idx = flat_index(gid);
    let m_blocks = (p.m + 3u) / 4u;
    if (idx >= m_blocks * p.n_blocks) {
        return;
    }
    let r0 = (idx / p.n_blocks) * 4u;
    let c0 = (idx % p.n_blocks) * 4u;
    var xr: array<u32, 4>;
    var wr: array<u32, 4>;
    for (var i = 0u; i < 4u; i++) {
        xr[i] = min(r0 + i, p.m - 1u) * p.k;
        wr[i] = min(c0 + i, p.n - 1u) * p.k;
    }
    var acc: array<vec4<f32>, 4>;
    for (var kk = 0u; kk < p.k; kk++) {
        let wv = vec4<f32>(w[wr[0] + kk], w[wr[1] + kk], w[wr[2] + kk], w[wr[3] + kk]);
        for (var i = 0u; i < 4u; i++) {
            acc[i] += x[xr[i] + kk] * wv;
        }
    }
    for (var i = 0u; i < 4u; i++) {
        let r = r0 + i;
        if (r < p.m) {
            for (var j = 0u; j < 4u; j++) {
                let c = c0 + j;
                if (c < p.n) {
                    y[r * p.n + c] = acc[i][j] + b[c];
                }
            }
        }
    }
}
