// Backward of one DPM-Solver++ step (shaders/dpm_solver.wgsl, the same coef rows, p and
// state). The step maps (x, net_out, x0_prev) to (x' = a x + c0 D0 + c1 x0_prev, D0) with
// D0 = clamp?(q x + r net_out). From g2 = [g; g0], g = dL/dx' and g0 = dL/dD0 (one buffer
// of 2 len, which keeps the kernel within WebGPU's default of 8 storage buffers per stage),
// it accumulates
//   dx += a g + q m (c0 g + g0),  dout += r m (c0 g + g0),  dprev += c1 g,
// m = 0 where the clamp is active (|q x + r net_out| > 1 with clip), else 1.

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
@group(0) @binding(3) var<storage, read> g2: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read> net_out: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> dout: array<f32>;
@group(0) @binding(8) var<storage, read_write> dprev: array<f32>;

fn item(i: u32) {
    let k = state[0];
    let s = coef[2u * k];
    let c = coef[2u * k + 1u];
    let q = dpm_x0_coef(p.pred, s);
    let gv = g2[i];
    var gd = c.y * gv + g2[i + p.total];
    if (p.clip != 0u && abs(q.x * x[i] + q.y * net_out[i]) > 1.0) {
        gd = 0.0;
    }
    dx[i] = dx[i] + c.x * gv + q.x * gd;
    dout[i] = dout[i] + q.y * gd;
    dprev[i] = dprev[i] + c.z * gv;
}
