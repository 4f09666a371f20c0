// Library: the statistics of a population of `count` values from its shifted sums
// (sum d, sum d^2), d = x - k0 with k0 one of its values (shifted data: no
// E[x^2] - E[x]^2 cancellation when the mean is large). Shared by the forwards of batchnorm,
// group_norm and layer_norm.

struct Moments {
    mean: f32,
    ssd: f32, // sum of squared deviations from the mean
    rstd: f32, // 1 / sqrt(biased variance + eps)
}

fn shifted_moments(sums: vec2<f32>, count: f32, k0: f32, eps: f32) -> Moments {
    let dmean = sums.x / count;
    let ssd = max(sums.y - sums.x * dmean, 0.0);
    return Moments(k0 + dmean, ssd, 1.0 / sqrt(ssd / count + eps));
}
