// One DPM-Solver++ (2M) step, in place on x [len] (docs/design.md section 2). The step index k
// comes from state = [k, seed_lo, seed_hi, 0], so the sampling loop never reads back; the
// per-step coefficients were computed on the CPU in f64 (src/kernels/dpm_solver.rs), two
// rows per step:
//   coef[2k]     = (alpha_s, sigma_s, 1 / alpha_s, sigma_s / alpha_s)   at the step's t = s
//   coef[2k + 1] = (a, c0, c1, 0):  x' = a x + c0 D0 + c1 x0_prev
// where D0 is the x0 this step predicts from the model output `net_out` (p.pred: 0 eps,
// 1 x0, 2 v; clamped to [-1, 1] if p.clip) and x0_prev the previous step's, which x0
// holds on entry and which this step replaces with D0. c1 = 0 on first-order steps, where
// x0_prev is not read at all (on the first step it holds nothing yet).

// import dpm_x0, grid_1d

struct Params {
    total: u32,
    pred: u32,
    clip: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> coef: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read> net_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> x0: array<f32>;

fn item(i: u32) {
    let k = state[0];
    let s = coef[2u * k];
    let c = coef[2u * k + 1u];
    let xv = x[i];
    let d0 = dpm_x0(p.pred, p.clip, s, xv, net_out[i]);
    var v = c.x * xv + c.y * d0;
    if (c.z != 0.0) {
        v = v + c.z * x0[i];
    }
    x[i] = v;
    x0[i] = d0;
}
