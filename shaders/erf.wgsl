// Library: erfc in f32 (WGSL has no erf). For z >= 0, Numerical Recipes' Chebyshev fit
// erfc(z) = t * exp(-z^2 + P(t)), t = 1 / (1 + z / 2), has a fractional error below 1.2e-7;
// negative z use erfc(z) = 2 - erfc(-z). The relative accuracy in the tail matters to GELU,
// whose Phi(x) = erfc(-x / sqrt(2)) / 2 is tiny for negative x (1 - erf would cancel);
// erf = 1 - erfc is accurate to ~3e-7 absolute (tests/kernels/gelu.rs).

fn erfc_f32(z: f32) -> f32 {
    let a = abs(z);
    let t = 1.0 / (1.0 + 0.5 * a);
    var q = 0.17087277;
    q = -0.82215223 + t * q;
    q = 1.48851587 + t * q;
    q = -1.13520398 + t * q;
    q = 0.27886807 + t * q;
    q = -0.18628806 + t * q;
    q = 0.09678418 + t * q;
    q = 0.37409196 + t * q;
    q = 1.00002368 + t * q;
    q = -1.26551223 + t * q;
    let r = t * exp(q - a * a);
    return select(2.0 - r, r, z >= 0.0);
}

// Standard normal CDF Phi(x) = erfc(-x / sqrt(2)) / 2.
fn normal_cdf(x: f32) -> f32 {
    return 0.5 * erfc_f32(-0.70710678118654752 * x);
}
