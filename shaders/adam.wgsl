// One Adam / AdamW step (PyTorch semantics) over a flat parameter buffer.
// hyper = [lr, beta1, beta2, eps, weight_decay, 1 - beta1^step, 1 - beta2^step, 0], written by
// the host before each submit so that one recorded dispatch serves every step.
//   p -= lr * wd * p                     (decoupled weight decay, AdamW; wd = 0 is Adam)
//   m = beta1 m + (1 - beta1) g
//   v = beta2 v + (1 - beta2) g^2
//   p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)

struct Params {
    len: u32,
    stride: u32, // threads launched = ceil(len / PER)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> hyper: array<f32, 8>;

// Each invocation updates PER elements, i = tid, tid + S, ... (S = threads launched): fewer
// invocations for CPU adapters, still coalesced on GPUs. Set by the launcher
// (src/kernels/adam.rs), which counts the threads.
override PER: u32;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let tid = flat_index(gid);
    if (tid >= p.stride) {
        return; // the grid's rounding-up invocations would repeat others' elements
    }
    let lr = hyper[0];
    let b1 = hyper[1];
    let b2 = hyper[2];
    let eps = hyper[3];
    let wd = hyper[4];
    let step = lr / hyper[5];
    let sbc2 = sqrt(hyper[6]);
    let decay = 1.0 - lr * wd;
    for (var j = 0u; j < PER; j++) {
        let i = tid + j * p.stride;
        if (i >= p.len) {
            return;
        }
        let g = grads[i];
        let w = params[i] * decay;
        let mi = b1 * m[i] + (1.0 - b1) * g;
        let vi = b2 * v[i] + (1.0 - b2) * (g * g);
        m[i] = mi;
        v[i] = vi;
        let denom = sqrt(vi) / sbc2 + eps;
        params[i] = w - step * (mi / denom);
    }
}
