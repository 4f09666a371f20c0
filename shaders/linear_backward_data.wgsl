// dx[m, k] += sum_n dy[m, n] * w[n, k]   (input gradient of linear; accumulates)
// Each invocation computes a 4 (rows) x 4 (input features) block, summing n in order.

// import linear_backward_params

// Params: shaders/linear_backward_params.wgsl.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let idx = flat_index(gid);
    let m_blocks = (p.m + 3u) / 4u;
    if (idx >= m_blocks * p.k_blocks) {
        return;
    }
    let r0 = (idx / p.k_blocks) * 4u;
    let c0 = (idx % p.k_blocks) * 4u;
    var dyr: array<u32, 4>;
    var kc: array<u32, 4>;
    for (var i = 0u; i < 4u; i++) {
        dyr[i] = min(r0 + i, p.m - 1u) * p.n;
        kc[i] = min(c0 + i, p.k - 1u);
    }
    var acc: array<vec4<f32>, 4>;
    for (var nn = 0u; nn < p.n; nn++) {
        let wb = nn * p.k;
        let wv = vec4<f32>(w[wb + kc[0]], w[wb + kc[1]], w[wb + kc[2]], w[wb + kc[3]]);
        for (var i = 0u; i < 4u; i++) {
            acc[i] += dy[dyr[i] + nn] * wv;
        }
    }
    for (var i = 0u; i < 4u; i++) {
        let r = r0 + i;
        if (r < p.m) {
            for (var j = 0u; j < 4u; j++) {
                let c = c0 + j;
                if (c < p.k) {
                    dx[r * p.k + c] += acc[i][j];
                }
            }
        }
    }
}
