// dx += dy * silu'(x), silu'(x) = s * (1 + x * (1 - s)) with s = sigmoid(x); the frame is the
// `activation_backward` library.

// import activation_backward, grid_1d

fn act_grad(v: f32, g: f32) -> f32 {
    let s = 1.0 / (1.0 + exp(-v));
    return g * s * (1.0 + v * (1.0 - s));
}
