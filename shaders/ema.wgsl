// Exponential moving average of weights: ema = decay * ema + (1 - decay) * p.
// The decay is read from a one-element storage tensor, not the uniform, so that one recorded
// dispatch serves a decay that changes every step (EMA warmup); the host writes it before
// each submit.

// import grid_1d

struct Params {
    total: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> ema: array<f32>;
@group(0) @binding(3) var<storage, read> decay: array<f32, 1>;

fn item(i: u32) {
    let d = decay[0];
    ema[i] = d * ema[i] + (1.0 - d) * src[i];
}
