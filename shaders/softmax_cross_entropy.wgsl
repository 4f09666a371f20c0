// Softmax cross-entropy, pass 1, one invocation per row n of logits [N, K]:
//   logp[n, k] = logits[n, k] - logsumexp(logits[n, :])   (log-softmax, max-subtracted)
//   row_loss[n] = -logp[n, labels[n]]
// Pass 2 is mse_sum.wgsl: loss[0] = (sum of row_loss in a fixed order) / N, deterministic.
// K is the number of classes (small), so the per-row loops are short.

// import grid_1d

struct Params {
    total: u32, // rows
    classes: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> logp: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_loss: array<f32>;

fn item(n: u32) {
    let base = n * p.classes;
    var m = logits[base];
    for (var k = 1u; k < p.classes; k++) {
        m = max(m, logits[base + k]);
    }
    var s = 0.0;
    for (var k = 0u; k < p.classes; k++) {
        s += exp(logits[base + k] - m);
    }
    let lse = m + log(s);
    for (var k = 0u; k < p.classes; k++) {
        logp[base + k] = logits[base + k] - lse;
    }
    let y = min(labels[n], p.classes - 1u);
    row_loss[n] = lse - logits[base + y];
}
