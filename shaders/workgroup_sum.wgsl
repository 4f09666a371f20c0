// Library: deterministic sums over a 256-invocation workgroup (a fixed order, no atomics).
// Call from uniform control flow.

var<workgroup> wsum: array<vec2<f32>, 256>;
var<workgroup> wpart: array<vec2<f32>, 16>;

// Every invocation gets the total, from a tree: each value passes through 8 adds.
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

// Invocation 0 gets the total (the others a meaningless value), with 2 barriers instead of
// the tree's 10: invocations 0..15 each add 16 values in order, then invocation 0 adds their
// 16 sums in order, so each value passes through at most 30 adds. On llvmpipe every barrier
// and every level of the tree costs all 32 of the workgroup's 8-lane batches, which made the
// tree cost more than the batchnorm passes' loads (BENCHMARKS.md, issue 23). Call it at most
// once per kernel (it leaves wsum and wpart in use).
fn workgroup_sum2_to_first(lid: u32, v: vec2<f32>) -> vec2<f32> {
    wsum[lid] = v;
    workgroupBarrier();
    if (lid < 16u) {
        var s = wsum[lid * 16u];
        for (var i = 1u; i < 16u; i++) {
            s += wsum[lid * 16u + i];
        }
        wpart[lid] = s;
    }
    workgroupBarrier();
    var total = wpart[0];
    if (lid == 0u) {
        for (var i = 1u; i < 16u; i++) {
            total += wpart[i];
        }
    }
    return total;
}
