// Library: Philox4x32-10 counter-based generator (Salmon et al. 2011, Random123) and
// Box-Muller normals, for the kernels that import it (`// import rng`); the CPU
// twin is src/kernels/rng.rs and must produce bitwise the same u32s.
//
// Key = (seed_lo, seed_hi); counter = (index, stream_lo, stream_hi, purpose).
// Uniforms: u01(u) = ((u >> 9) + 0.5) * 2^-23, in [2^-24, 1 - 2^-24] (exact in f32), never 0 or 1.
// Normals: one Philox call gives two normals from Box-Muller with BOTH outputs:
// element 2j uses r*cos(theta), element 2j+1 uses r*sin(theta), with
// r = sqrt(-2 ln u01(x0)), theta = 2 pi u01(x1), (x0, x1) = philox(counter j)[0..2].

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;
const RNG_TAU: f32 = 6.283185307179586;
const RNG_PI: f32 = 3.141592653589793;

// Purposes (counter word 3): distinct streams for distinct uses of one seed.
const PURPOSE_TEST: u32 = 0u;
const PURPOSE_T: u32 = 1u;
const PURPOSE_EPS: u32 = 2u;
const PURPOSE_Z: u32 = 3u;
const PURPOSE_XT: u32 = 4u;

// High 32 bits of the 64-bit product a*b (WGSL has no u64): 16-bit limbs.
fn rng_mulhi(a: u32, b: u32) -> u32 {
    let a_lo = a & 0xFFFFu;
    let a_hi = a >> 16u;
    let b_lo = b & 0xFFFFu;
    let b_hi = b >> 16u;
    let lolo = a_lo * b_lo;
    let lohi = a_lo * b_hi;
    let hilo = a_hi * b_lo;
    let hihi = a_hi * b_hi;
    let cross = (lolo >> 16u) + (lohi & 0xFFFFu) + (hilo & 0xFFFFu);
    return hihi + (lohi >> 16u) + (hilo >> 16u) + (cross >> 16u);
}

fn philox4x32_10(ctr_in: vec4<u32>, key_in: vec2<u32>) -> vec4<u32> {
    var c = ctr_in;
    var k = key_in;
    for (var r = 0u; r < 10u; r = r + 1u) {
        let hi0 = rng_mulhi(PHILOX_M0, c.x);
        let lo0 = PHILOX_M0 * c.x;
        let hi1 = rng_mulhi(PHILOX_M1, c.z);
        let lo1 = PHILOX_M1 * c.z;
        c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
        k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
    }
    return c;
}

fn rng_u01(u: u32) -> f32 {
    return (f32(u >> 9u) + 0.5) * (1.0 / 8388608.0);
}

// Two normals (elements 2j and 2j+1) for counter (j, stream, purpose) under key.
fn rng_normal2(key: vec2<u32>, j: u32, stream: vec2<u32>, purpose: u32) -> vec2<f32> {
    let u = philox4x32_10(vec4<u32>(j, stream.x, stream.y, purpose), key);
    // WGSL bounds log only to 2^-21 absolute near 1, so log(u) may come back just above 0:
    // clamp so r is never NaN. WGSL specifies sin/cos only on [-pi, pi]: evaluate at
    // theta - pi, where cos(theta) = -cos(theta - pi) and sin(theta) = -sin(theta - pi).
    let r = sqrt(max(-2.0 * log(rng_u01(u.x)), 0.0));
    let th = RNG_TAU * rng_u01(u.y) - RNG_PI;
    return vec2<f32>(-r * cos(th), -r * sin(th));
}

// Uniform integer in 1..=t_max from the first word of counter (i, stream, purpose):
// 1 + floor(u * t_max / 2^32) (multiply-high, no modulo).
fn rng_timestep(key: vec2<u32>, i: u32, stream: vec2<u32>, purpose: u32, t_max: u32) -> u32 {
    let u = philox4x32_10(vec4<u32>(i, stream.x, stream.y, purpose), key);
    return 1u + rng_mulhi(u.x, t_max);
}
