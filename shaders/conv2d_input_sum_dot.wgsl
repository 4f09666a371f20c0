// Second pass of conv2d_input_sum.wgsl: dv[n, ci] += sum over (co, ky, kx) of
// w[co, ci, ky, kx] * t[n, co, ky, kx], one invocation per (n, ci), in a fixed order.

struct Params {
    rows: u32, // n * cout (conv2d_input_sum)
    total: u32, // n * cin
    cin: u32,
    cout: u32,
    h: u32,
    w: u32,
    k: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> t: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> dv: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i < p.total) {
        let n = i / p.cin;
        let ci = i - n * p.cin;
        let kk = p.k * p.k;
        var s = 0.0;
        for (var co = 0u; co < p.cout; co++) {
            let wb = (co * p.cin + ci) * kk;
            let tb = (n * p.cout + co) * kk;
            for (var q = 0u; q < kk; q++) {
                s += weight[wb + q] * t[tb + q];
            }
        }
        dv[i] += s;
    }
}
