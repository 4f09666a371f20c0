// LayerNorm forward over the last dim, one dispatch: the 2^shift lanes of a row sum
// d = x - K and d^2 (K the row's first value: shifted data, no E[x^2]-E[x]^2 cancellation)
// in a fixed tree, then write y = (x - mean) * rstd * gamma + beta (overwriting y) and save
// the row's mean and rstd = 1 / sqrt(biased variance + eps) for backward.

// import layer_norm_params, norm_forward_io, norm_moments, layer_norm_row_pass, segments

@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;

// Entry point: shaders/layer_norm_row_pass.wgsl.
fn row_pass(row: Row, lid: u32) {
    let lanes = 1u << p.shift;
    var k0 = 0.0;
    var acc = vec2<f32>(0.0);
    if (row.live) {
        k0 = x[row.base];
        for (var e = row.lane; e < p.c; e += lanes) {
            let d = x[row.base + e] - k0;
            acc += vec2<f32>(d, d * d);
        }
    }
    let sums = segment_sum2(lid, acc, p.shift);
    if (!row.live) {
        return;
    }
    let mo = shifted_moments(sums, f32(p.c), k0, p.eps);
    if (row.lane == 0u) {
        mean[row.index] = mo.mean;
        rstd[row.index] = mo.rstd;
    }
    for (var e = row.lane; e < p.c; e += lanes) {
        y[row.base + e] = (x[row.base + e] - mo.mean) * mo.rstd * gamma[e] + beta[e];
    }
}
