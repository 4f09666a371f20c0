// Library: deterministic sums over a 256-invocation workgroup (a fixed order, no atomics).
// Call from uniform control flow.

var<workgroup> wsum: array<vec2<f32>, 256>;

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

// The sum of each run of 2^shift invocations (shift <= 8, uniform) in the run's first
// invocation (the others get a meaningless value), with 2 barriers instead of the tree's 10:
// in each run, the first 2^shift / R invocations add R = min(16, 2^shift) values each in
// order, then the first adds those sums in order, so each value passes through at most
// (R - 1) + (2^shift / R - 1) adds (30 for the whole workgroup). On llvmpipe every barrier
// and every level of a tree costs all 32 of the workgroup's 8-lane batches, which made the
// tree cost more than the batchnorm passes' loads (BENCHMARKS.md, issue 23). Call it at most
// once per kernel (it leaves wsum in use).
fn workgroup_runs_sum2(lid: u32, v: vec2<f32>, shift: u32) -> vec2<f32> {
    let lanes = 1u << shift;
    let lane = lid & (lanes - 1u);
    let first = lid - lane;
    let r = min(16u, lanes);
    wsum[lid] = v;
    workgroupBarrier();
    if (lane < lanes / r) {
        let at = first + lane * r;
        var s = wsum[at];
        for (var i = 1u; i < r; i++) {
            s += wsum[at + i];
        }
        // Only this invocation reads this run of wsum: its first entry takes the sum.
        wsum[at] = s;
    }
    workgroupBarrier();
    var total = wsum[first];
    if (lane == 0u) {
        for (var i = 1u; i < lanes / r; i++) {
            total += wsum[first + i * r];
        }
    }
    return total;
}
