// dx += dy * (x > 0); the frame is the `activation_backward` library.

// import activation_backward, grid_1d

fn act_grad(v: f32, g: f32) -> f32 {
    return select(0.0, g, v > 0.0);
}
