// dw[n, k] += sum_m dy[m, n] * x[m, k];  db[n] += sum_m dy[m, n]   (accumulate)
// Each invocation computes a 4 (outputs) x 4 (input features) block of dw, summing the
// batch in increasing order (deterministic, no atomics); the invocations of the first
// k-block also produce db for their 4 outputs.

// import linear_backward_params

// Params: shaders/linear_backward_params.wgsl.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;
@group(0) @binding(4) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let idx = flat_index(gid);
    let n_blocks = (p.n + 3u) / 4u;
    if (idx >= n_blocks * p.k_blocks) {
        return;
    }
    let o0 = (idx / p.k_blocks) * 4u;
    let c0 = (idx % p.k_blocks) * 4u;
    var oc: array<u32, 4>;
    var kc: array<u32, 4>;
    for (var i = 0u; i < 4u; i++) {
        oc[i] = min(o0 + i, p.n - 1u);
        kc[i] = min(c0 + i, p.k - 1u);
    }
    var acc: array<vec4<f32>, 4>;
    var bacc = vec4<f32>(0.0);
    for (var mm = 0u; mm < p.m; mm++) {
        let xb = mm * p.k;
        let xv = vec4<f32>(x[xb + kc[0]], x[xb + kc[1]], x[xb + kc[2]], x[xb + kc[3]]);
        let gb = mm * p.n;
        let g = vec4<f32>(dy[gb + oc[0]], dy[gb + oc[1]], dy[gb + oc[2]], dy[gb + oc[3]]);
        for (var i = 0u; i < 4u; i++) {
            acc[i] += g[i] * xv;
        }
        bacc += g;
    }
    for (var i = 0u; i < 4u; i++) {
        let o = o0 + i;
        if (o < p.n) {
            for (var j = 0u; j < 4u; j++) {
                let c = c0 + j;
                if (c < p.k) {
                    dw[o * p.k + c] += acc[i][j];
                }
            }
            if (c0 == 0u) {
                db[o] += bacc[i];
            }
        }
    }
}
