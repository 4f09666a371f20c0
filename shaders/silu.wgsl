// y = silu(x) = x * sigmoid(x) = x / (1 + exp(-x)); exp overflowing to inf gives -0 there.
// The frame is the `activation` library.

// import activation, grid_1d

fn act(v: f32) -> f32 {
    return v / (1.0 + exp(-v));
}
