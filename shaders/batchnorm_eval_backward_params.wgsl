// Backward of eval-mode BatchNorm, parameter gradients (running statistics frozen):
//   dgamma[c] += invstd[c] * sum_{n, hw} dy (x - running_mean[c]),   dbeta[c] += sum dy
// One workgroup per channel: thread l adds the values l, l + 256, ... of the channel's
// n * hw values (in (image, position) order, one flat loop so small planes keep the lanes
// busy; bn_params' walk steps it with adds), then workgroup_runs_sum2 combines the 256
// sums in a fixed order: deterministic, no atomics.
// Params: bn_params.wgsl.

// import bn_params, workgroup_sum

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> running_mean: array<f32>;
@group(0) @binding(3) var<storage, read> running_var: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbeta: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let ch = wid.x;
    let mean = running_mean[ch];
    var acc = vec2<f32>(0.0);
    let m = p.n * p.hw;
    for (var w = walk_start(lid, WG, ch, p.hw); w.e < m; w = walk_next(w)) {
        let g = dy[w.a];
        acc += vec2<f32>(g, g * (x[w.a] - mean));
    }
    let r = workgroup_runs_sum2(lid, acc, 8u);
    if (lid == 0u) {
        dbeta[ch] += r.x;
        dgamma[ch] += r.y / sqrt(running_var[ch] + p.eps);
    }
}
