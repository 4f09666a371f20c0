// LayerNorm backward to the input, one dispatch: with g = gamma * dy, xhat = (x - mean) * rstd
// and row means over its c values (a fixed-tree sum over the row's lanes):
//   dx += rstd * (g - mean(g) - xhat * mean(g * xhat)).

// import layer_norm_params, norm_backward_io, layer_norm_row_pass, segments

@group(0) @binding(5) var<storage, read> gamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;

// Entry point: shaders/layer_norm_row_pass.wgsl.
fn row_pass(row: Row, lid: u32) {
    let lanes = 1u << p.shift;
    var mu = 0.0;
    var rs = 0.0;
    var acc = vec2<f32>(0.0);
    if (row.live) {
        mu = mean[row.index];
        rs = rstd[row.index];
        for (var e = row.lane; e < p.c; e += lanes) {
            let g = gamma[e] * dy[row.base + e];
            acc += vec2<f32>(g, g * (x[row.base + e] - mu) * rs);
        }
    }
    let sums = segment_sum2(lid, acc, p.shift);
    if (!row.live) {
        return;
    }
    let m = sums / f32(p.c);
    for (var e = row.lane; e < p.c; e += lanes) {
        let a = row.base + e;
        let xhat = (x[a] - mu) * rs;
        dx[a] += rs * (gamma[e] * dy[a] - m.x - xhat * m.y);
    }
}
