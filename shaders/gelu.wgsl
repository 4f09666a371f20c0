// y = gelu(x) = x * Phi(x), the exact (erf) form, PyTorch's default approximate='none'.
// Phi: shaders/erf.wgsl; the frame is the `activation` library.

// import erf, activation, grid_1d

fn act(v: f32) -> f32 {
    return v * normal_cdf(v);
}
