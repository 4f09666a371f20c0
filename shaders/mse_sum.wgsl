// MSE pass 2: loss[0] = (sum of the partials of pass 1) / N, by one workgroup: thread t
// adds partials t, t + 256, ... in order, then a fixed tree combines them (deterministic).

struct Params {
    chunks: u32,
    inv_len: f32, // 1 / N
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
    var s = 0.0;
    for (var j = lid; j < p.chunks; j += WG) {
        s += partial[j];
    }
    part[lid] = s;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
        if (lid < stride) {
            part[lid] += part[lid + stride];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        loss[0] = part[0] * p.inv_len;
    }
}
