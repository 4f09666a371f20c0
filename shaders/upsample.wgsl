// Bilinear x2 upsampling, align_corners = false (PyTorch's default): for an output
// coordinate o, src = max((o + 0.5) / 2 - 0.5, 0), i0 = floor(src), i1 = min(i0 + 1, in - 1),
// lambda = src - i0; rows and columns are blended separably.

struct Params {
    h: u32,
    w: u32,
    total: u32, // n * c * 2h * 2w outputs
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.total) {
        return;
    }
    let wo = 2u * p.w;
    let ho = 2u * p.h;
    let row = i / wo;
    let ox = i - row * wo;
    let plane = row / ho;
    let oy = row - plane * ho;

    let sy = max((f32(oy) + 0.5) * 0.5 - 0.5, 0.0);
    let y0 = u32(sy);
    let ly = sy - f32(y0);
    let y1 = min(y0 + 1u, p.h - 1u);
    let sx = max((f32(ox) + 0.5) * 0.5 - 0.5, 0.0);
    let x0 = u32(sx);
    let lx = sx - f32(x0);
    let x1 = min(x0 + 1u, p.w - 1u);

    let b = plane * p.h * p.w;
    let r0 = b + y0 * p.w;
    let r1 = b + y1 * p.w;
    let top = (1.0 - lx) * x[r0 + x0] + lx * x[r0 + x1];
    let bot = (1.0 - lx) * x[r1 + x0] + lx * x[r1 + x1];
    y[i] = (1.0 - ly) * top + ly * bot;
}
