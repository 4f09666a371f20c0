// Library: the 2x2 window of maxpool and maxpool_backward (reads the kernel's `x` and `p`),
// one code path so the backward routes dy to exactly the element the forward picked.

// import pool_params

struct WindowMax {
    at: u32, // index into x
    m: f32,
}

// Window i (plane * (h/2) * (w/2) + oy * (w/2) + ox): its maximum and where it is. Strict >,
// so ties keep the first element in row-major window order, as PyTorch.
fn window_max(i: u32) -> WindowMax {
    let wo = p.w / 2u;
    let row = i / wo;          // plane * (h/2) + oy
    let ox = i - row * wo;
    let base = 2u * row * p.w + 2u * ox; // plane * h * w + 2 * oy * w + 2 * ox
    var m = x[base];
    var at = base;
    let v01 = x[base + 1u];
    if (v01 > m) { m = v01; at = base + 1u; }
    let v10 = x[base + p.w];
    if (v10 > m) { m = v10; at = base + p.w; }
    let v11 = x[base + p.w + 1u];
    if (v11 > m) { m = v11; at = base + p.w + 1u; }
    return WindowMax(at, m);
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
// #endif
