// Conv2d of any geometry as a gather (src/kernels/conv2d/geometry.rs): y[oh][ow] = sum
// over ci, ky, kx of x[oh*s + ky][ow*s + kx] * W[ky][kx], x packed with a border of `pad`.
// Also backward-input of ConvTranspose2d. The taps, tiling and stores are in
// conv2d_geom_lib.wgsl; the entry r<R>t<T> runs bodies of R kernel rows x T taps of one
// column phase (see there). The column phases kx % s = 0..min(s, k) all run T = ceil(k / s)
// taps (in blocks), so when s does not divide k the later ones include a zero-weight tap
// (k3 s2: 4 taps per row for 3).

// import conv2d_geom_lib, conv2d_acc, spread

const TRANSPOSED: bool = false; // the strided gather: see tile_of in conv2d_geom_lib.wgsl

fn gather(ids: Ids, tl: Tile, R: u32, T: u32) -> Acc {
    var acc: Acc;
    let lane = spread_lane(ids);
    let kk8 = p.kyp * p.kxp * 8u;
    let phases = min(p.s, p.k);
    let chunk = T * p.s; // taps (and texels) from one block to the next
    let col0 = tl.ow0 * p.s;
    let rowb = tl.img + tl.oh * p.s;
    // One loop over (c4, row chunk, phase, tap chunk), its counters advanced with selects:
    // each loop level around a body cost llvmpipe about as much as the body (nested loops
    // of one iteration each ran this gather at a third of the speed of this one loop).
    var c4 = 0u;
    var rc = 0u;
    var ph = 0u;
    var c = 0u;
    let iters = p.cin4 * p.rchunks * phases * p.chunks;
    for (var it = 0u; it < iters; it++) {
        let ky0 = rc * R;
        let kx0 = ph + c * chunk;
        let w0 = (tl.cb * p.cin4 + c4) * kk8 + (ky0 * p.kxp + kx0) * 8u;
        let col = col0 + c4 * p.tile_w + kx0;
        body(&acc, tl, rowb + ky0, col, p.s, w0, p.s * 8u, p.kxp * 8u, R, T, lane);
        let cw = c + 1u == p.chunks;
        c = select(c + 1u, 0u, cw);
        let pw = cw && ph + 1u == phases;
        ph = select(ph, select(ph + 1u, 0u, pw), cw);
        let rw = pw && rc + 1u == p.rchunks;
        rc = select(rc, select(rc + 1u, 0u, rw), pw);
        c4 = select(c4, c4 + 1u, rw);
    }
    return acc;
}
