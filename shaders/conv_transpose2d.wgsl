// ConvTranspose2d as a gather (src/kernels/conv2d/transpose.rs): y[oh][ow] = sum over
// (ih, ky), (iw, kx) with ih*s - pad + ky = oh and iw*s - pad + kx = ow of x[ih][iw] *
// W[ky][kx]. Also backward-input of a strided Conv2d. Only the taps that meet an input
// pixel are visited: an output with (oh + pad) % s = ry takes kernel rows ry, ry + s, ...
// (and likewise columns), so no work is spent on the zeros that "dilate the input, then
// convolve" would insert. Outputs are grouped by that phase (one phase per workgroup,
// wid.z), so every lane of a workgroup visits the same taps and the weight shuffles of
// `spread` stay in uniform control flow; each dispatch takes the phases that meet the same
// number of rows and taps (src/kernels/conv2d/gather.rs), so its bodies have no zero taps
// beyond rounding to blocks of 4. The taps, tiling and stores are in conv2d_geom_lib.wgsl;
// the entry r<R>t<T> runs bodies of R kernel rows x T taps.

// import conv2d_geom_lib, conv2d_acc, spread

const TRANSPOSED: bool = true; // the transposed gather: see tile_of in conv2d_geom_lib.wgsl

fn gather(ids: Ids, tl: Tile, R: u32, T: u32) -> Acc {
    var acc: Acc;
    let lane = spread_lane(ids);
    // oh + pad = qy * s + ry: kernel row ry + (rows - 1 - a) * s meets input row
    // qy - (rows - 1) + a for a < rows = R * rchunks, and likewise for columns; taps past
    // the kernel's edge (rounding to blocks) have zero weights, and the border (at least
    // rows - 1 above, taps - 1 on the left) keeps every row and column in the tile.
    let ey = tl.cy + p.pad;
    let ex = tl.cx + p.pad;
    let qy0 = ey / p.s;
    let qx0 = ex / p.s;
    let ry = ey - qy0 * p.s;
    let rx = ex - qx0 * p.s;
    let rows = R * p.rchunks;
    let taps = T * p.chunks;
    let row0 = tl.img + tl.i + qy0 + p.top + 1u - rows;
    let col0 = tl.qb * P + qx0 + p.left + 1u - taps;
    let ky_first = ry + (rows - 1u) * p.s;
    let kx_first = rx + (taps - 1u) * p.s;
    let kk8 = p.kyp * p.kxp * 8u;
    let back = 0u - p.s * 8u; // weights of the next tap: kx - s
    // One loop over (c4, row chunk, tap chunk) as in conv2d_geom.wgsl.
    var c4 = 0u;
    var rc = 0u;
    var c = 0u;
    let iters = p.cin4 * p.rchunks * p.chunks;
    for (var it = 0u; it < iters; it++) {
        let ky0 = ky_first - rc * R * p.s;
        let kx0 = kx_first - c * T * p.s;
        let w0 = (tl.cb * p.cin4 + c4) * kk8 + (ky0 * p.kxp + kx0) * 8u;
        let col = col0 + c4 * p.tile_w + c * T;
        body(&acc, tl, row0 + rc * R, col, 1u, w0, back, back * p.kxp, R, T, lane);
        let cw = c + 1u == p.chunks;
        c = select(c + 1u, 0u, cw);
        let rw = cw && rc + 1u == p.rchunks;
        rc = select(rc, select(rc + 1u, 0u, rw), cw);
        c4 = select(c4, c4 + 1u, rw);
    }
    return acc;
}
