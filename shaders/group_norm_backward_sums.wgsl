// GroupNorm backward, pass 2 of 3, from group_norm_backward_reduce's per-plane partials.
// The first gtiles workgroups: each (image, group) r's means over its M = cg * hw values of
// dL/dxhat = gamma * dy and of dL/dxhat * xhat, into coef[r] for the dx pass (2^gshift lanes
// per group). The rest: each channel's dbeta += sum dy, dgamma += sum dy * xhat over the
// images (2^cshift lanes per channel). Lanes add their share in order, then segment_sum2's
// fixed tree: deterministic.

// import group_norm_params, segments

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> partial: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> coef: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(5) var<storage, read_write> dbeta: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let tile = tile_of(wid);
    if (tile < p.gtiles) {
        group_means(tile, lid);
    } else {
        channel_sums(tile - p.gtiles, lid);
    }
}

fn group_means(tile: u32, lid: u32) {
    let s = segment_at(tile, lid, p.gshift);
    let r = s.x;
    let live = r < p.n * p.groups;
    let count = p.cg * p.chunks; // the group's partials are consecutive
    var acc = vec2<f32>(0.0);
    if (live) {
        let c0 = (r - udiv(r, p.groups) * p.groups) * p.cg;
        for (var q = s.y; q < count; q += 1u << p.gshift) {
            acc += gamma[c0 + udiv(q, p.chunks)] * partial[r * count + q];
        }
    }
    let sums = segment_sum2(lid, acc, p.gshift);
    if (live && s.y == 0u) {
        coef[r] = sums / f32(p.cg * p.hw);
    }
}

fn channel_sums(tile: u32, lid: u32) {
    let s = segment_at(tile, lid, p.cshift);
    let ch = s.x;
    let live = ch < p.c;
    var acc = vec2<f32>(0.0);
    if (live) {
        for (var q = s.y; q < p.n * p.chunks; q += 1u << p.cshift) {
            let ni = udiv(q, p.chunks);
            acc += partial[(ni * p.c + ch) * p.chunks + q - ni * p.chunks];
        }
    }
    let sums = segment_sum2(lid, acc, p.cshift);
    if (live && s.y == 0u) {
        dbeta[ch] += sums.x;
        dgamma[ch] += sums.y;
    }
}
