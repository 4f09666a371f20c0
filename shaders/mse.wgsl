// MSE pass 1: partial[g] = sum over chunk g of (pred - target)^2, chunk = CHUNK consecutive
// elements per workgroup. Thread t adds elements t, t + 256, ... of the chunk in order,
// then workgroup_sum2's fixed tree (shaders/workgroup_sum.wgsl) combines the 256 sums:
// deterministic.
// Pass 2 (mse_sum.wgsl) adds the partials and divides by N.
// Entry `squares`: the same with target = 0, i.e. the mean square of pred (grad_clip's
// norm); its launcher binds pred again as `tgt`, which that entry never reads.
// Entry `weighted`: each square times w[i / chw], the weight of its image (min-SNR; w from
// snr_weight.wgsl), so pass 2's mean is mean_i w_i * mean over image i when all images have
// chw elements.

// import workgroup_sum

// Set by the launcher (src/kernels/mse.rs), which counts the chunks.
override PER_THREAD: u32;
override CHUNK: u32 = WG * PER_THREAD;

struct Params {
    len: u32,
    chunks: u32,
    chw: u32, // elements per image: entry `weighted` only
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;
@group(0) @binding(4) var<storage, read> w: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    partial_sum(wid, lid, false);
}

@compute @workgroup_size(256)
fn squares(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    partial_sum(wid, lid, true);
}

fn partial_sum(wid: vec3<u32>, lid: u32, against_zero: bool) {
    let g = wid.x + wid.y * GRID_ROW;
    var s = 0.0;
    if (g < p.chunks) {
        let base = g * CHUNK + lid;
        for (var j = 0u; j < PER_THREAD; j++) {
            let i = base + j * WG;
            if (i < p.len) {
                let d = select(pred[i] - tgt[i], pred[i], against_zero);
                s += d * d;
            }
        }
    }
    let total = workgroup_sum2(lid, vec2<f32>(s, 0.0)).x;
    if (g < p.chunks && lid == 0u) {
        partial[g] = total;
    }
}

@compute @workgroup_size(256)
fn weighted(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let g = wid.x + wid.y * GRID_ROW;
    var s = 0.0;
    if (g < p.chunks) {
        let base = g * CHUNK + lid;
        for (var j = 0u; j < PER_THREAD; j++) {
            let i = base + j * WG;
            if (i < p.len) {
                let d = pred[i] - tgt[i];
                s += w[i / p.chw] * (d * d);
            }
        }
    }
    let total = workgroup_sum2(lid, vec2<f32>(s, 0.0)).x;
    if (g < p.chunks && lid == 0u) {
        partial[g] = total;
    }
}
