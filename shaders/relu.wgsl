// y = max(x, 0); the frame is the `activation` library.

// import activation, grid_1d

fn act(v: f32) -> f32 {
    return max(v, 0.0);
}
