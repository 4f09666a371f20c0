// One Adam / AdamW step (PyTorch semantics) over a flat parameter buffer.
// hyper = [lr, beta1, beta2, eps, weight_decay, 1 - beta1^step, 1 - beta2^step, 0], written by
// the host before each submit so that one recorded dispatch serves every step.
//   p -= lr * wd * p                     (decoupled weight decay, AdamW; wd = 0 is Adam)
//   m = beta1 m + (1 - beta1) g
//   v = beta2 v + (1 - beta2) g^2
//   p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)

struct Params {
    len: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> hyper: array<f32, 8>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.len) {
        return;
    }
    let lr = hyper[0];
    let b1 = hyper[1];
    let b2 = hyper[2];
    let eps = hyper[3];
    let wd = hyper[4];
    let bc1 = hyper[5];
    let bc2 = hyper[6];
    let g = grads[i];
    var w = params[i];
    w = w * (1.0 - lr * wd);
    let mi = b1 * m[i] + (1.0 - b1) * g;
    let vi = b2 * v[i] + (1.0 - b2) * (g * g);
    m[i] = mi;
    v[i] = vi;
    let denom = sqrt(vi) / sqrt(bc2) + eps;
    params[i] = w - (lr / bc1) * (mi / denom);
}
