// Exponential moving average of weights: ema = decay * ema + (1 - decay) * p.

struct Params {
    total: u32,
    decay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> ema: array<f32>;

fn item(i: u32) {
    ema[i] = p.decay * ema[i] + (1.0 - p.decay) * src[i];
}
