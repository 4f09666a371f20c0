// Library: deterministic sums over a 256-invocation workgroup (a fixed tree order, no
// atomics). Call from uniform control flow; every invocation gets the total.

var<workgroup> wsum: array<vec2<f32>, 256>;

fn workgroup_sum2(lid: u32, v: vec2<f32>) -> vec2<f32> {
    wsum[lid] = v;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if (lid < s) {
            wsum[lid] += wsum[lid + s];
        }
        workgroupBarrier();
    }
    let total = wsum[0];
    workgroupBarrier();
    return total;
}
