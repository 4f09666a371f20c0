// Exponential moving average of weights: ema = decay * ema + (1 - decay) * p.

struct Params {
    n: u32,
    decay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> ema: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.n) {
        return;
    }
    ema[i] = p.decay * ema[i] + (1.0 - p.decay) * src[i];
}
