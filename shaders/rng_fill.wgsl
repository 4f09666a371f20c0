// Test kernel: raw Philox words and normals for counters j = 0..count, so the GPU
// generator can be compared with the CPU one (src/kernels/rng.rs).
// raw[4j..4j+4] = philox(j, stream, purpose); normals[2j], normals[2j+1] = rng_normal2(j).

// import rng, grid_1d

struct Params {
    total: u32,
    seed_lo: u32,
    seed_hi: u32,
    stream_lo: u32,
    stream_hi: u32,
    purpose: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> raw: array<u32>;
@group(0) @binding(2) var<storage, read_write> normals: array<f32>;

fn item(j: u32) {
    let key = vec2<u32>(p.seed_lo, p.seed_hi);
    let u = philox4x32_10(vec4<u32>(j, p.stream_lo, p.stream_hi, p.purpose), key);
    raw[4u * j] = u.x;
    raw[4u * j + 1u] = u.y;
    raw[4u * j + 2u] = u.z;
    raw[4u * j + 3u] = u.w;
    let z = rng_normal2(key, j, vec2<u32>(p.stream_lo, p.stream_hi), p.purpose);
    normals[2u * j] = z.x;
    normals[2u * j + 1u] = z.y;
}
