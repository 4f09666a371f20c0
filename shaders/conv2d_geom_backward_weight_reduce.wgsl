// Second pass of conv2d_geom_backward_weight: dw[i] += the sum over splits of the partials,
// always in split order (deterministic). dw is [gc][xc][k][k]; one invocation per element.

// import conv2d_geom_weight_params

// Params: shaders/conv2d_geom_weight_params.wgsl.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    let kk = p.k * p.k;
    if (i >= p.gc * p.xc * kk) {
        return;
    }
    let tap = i % kk;
    let xi = (i / kk) % p.xc;
    let go = i / (kk * p.xc);
    let ky = tap / p.k;
    let kx = tap - ky * p.k;
    let unit = ((ky * p.kxb + kx / 4u) * p.x4 + xi / 4u) * p.g4 + go / 4u;
    // [unit][g channel][tap in block] vec4 over x channels, in floats
    let off = ((unit * 4u + go % 4u) * 4u + kx % 4u) * 4u + xi % 4u;
    let stride = p.units * 64u;
    var acc = 0.0;
    for (var s = 0u; s < p.splits; s++) {
        acc += part[s * stride + off];
    }
    dw[i] += acc;
}
