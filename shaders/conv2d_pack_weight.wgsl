// Packs OIHW conv weights into the texture conv2d reads (rows of 1024 rgba32float texels).
// Texel ((cb * ci4 + c4) * kyp*kxp + ky*kxp + kx) * 8 + lane holds, for input channel
// c4*4 + (lane >> 1), the 4 output channels cb*8 + (lane & 1)*4 + 0..3 at tap (ky, kx);
// channels past the real counts, and the taps past k of a kernel padded to kyp x kxp
// (conv2d_geom_lib.wgsl reads whole blocks of taps), are zero. conv2d.wgsl has kyp = kxp = k.
// `forward`: the weights as they are. `transposed`: the weights of backward-input, a
// convolution from the cout channels of dy to the cin channels of dx with the taps flipped:
// W'[i][o][ky][kx] = W[o][i][k-1-ky][k-1-kx]. `swapped`: O and I swapped without the flip,
// for the transposed-convolution gather of conv2d_geom.wgsl, which reads a [cin, cout, k, k]
// tensor (a ConvTranspose2d weight, or the OIHW weight of the strided conv whose
// backward-input it computes) with the taps as they are.

struct Params {
    cout: u32, // of the packed (possibly transposed) convolution
    cin: u32,
    k: u32,
    ci4: u32, // ceil(cin / 4)
    texels: u32,
    kxp: u32, // taps per packed kernel row, >= k
    kyp: u32, // rows of the packed kernel, >= k
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var wt: texture_storage_2d<rgba32float, write>;

const FORWARD: u32 = 0u;
const TRANSPOSED: u32 = 1u;
const SWAPPED: u32 = 2u;

fn pack(gid: vec3<u32>, mode: u32) {
    let i = gid.x + gid.y * 65535u * 64u;
    if (i >= p.texels) {
        return;
    }
    let kk = p.k * p.k;
    let kkp = p.kyp * p.kxp;
    let lane = i % 8u;
    let ptap = (i / 8u) % kkp;
    let c4 = (i / (8u * kkp)) % p.ci4;
    let cb = i / (8u * kkp * p.ci4);
    let ci = c4 * 4u + lane / 2u;
    let ky = ptap / p.kxp;
    let kx = ptap - ky * p.kxp;
    let tap = min(ky * p.k + kx, kk - 1u);
    var v = vec4<f32>(0.0);
    for (var c = 0u; c < 4u; c++) {
        let co = cb * 8u + (lane % 2u) * 4u + c;
        // Index in the stored OIHW tensor: the transposed view swaps O and I and flips the tap.
        var idx = ((min(co, p.cout - 1u) * p.cin + min(ci, p.cin - 1u)) * kk) + tap;
        if (mode == TRANSPOSED) {
            idx = ((min(ci, p.cin - 1u) * p.cout + min(co, p.cout - 1u)) * kk) + (kk - 1u - tap);
        } else if (mode == SWAPPED) {
            idx = ((min(ci, p.cin - 1u) * p.cout + min(co, p.cout - 1u)) * kk) + tap;
        }
        v[c] = select(0.0, w[idx], co < p.cout && ci < p.cin && kx < p.k && ky < p.k);
    }
    textureStore(wt, vec2<u32>(i & 1023u, i >> 10u), v);
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
    pack(gid, FORWARD);
}

@compute @workgroup_size(64)
fn transposed(@builtin(global_invocation_id) gid: vec3<u32>) {
    pack(gid, TRANSPOSED);
}

@compute @workgroup_size(64)
fn swapped(@builtin(global_invocation_id) gid: vec3<u32>) {
    pack(gid, SWAPPED);
}
