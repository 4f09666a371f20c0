// MSE pass 2: loss[0] = (sum of the partials of pass 1) / N, by one workgroup: thread t
// adds partials t, t + 256, ... in order, then workgroup_sum2's fixed tree
// combines them (deterministic).

// import workgroup_sum

struct Params {
    chunks: u32,
    inv_len: f32, // 1 / N
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
    var s = 0.0;
    for (var j = lid; j < p.chunks; j += WG) {
        s += partial[j];
    }
    let total = workgroup_sum2(lid, vec2<f32>(s, 0.0)).x;
    if (lid == 0u) {
        loss[0] = total * p.inv_len;
    }
}
