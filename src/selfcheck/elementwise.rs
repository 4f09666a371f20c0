//! Families without long reductions: activations, adds and concat, pooling, upsampling,
//! linear layers and the MSE loss. Shapes are small and odd.

use super::compare::{bound, Probe};
use crate::kernels::{
    add, broadcast_add, concat, gelu, linear, maxpool, mse, relu, silu, upsample,
};

type Launch = fn(
    &crate::gpu::Gpu,
    &crate::gpu::GpuTensor,
    &crate::gpu::GpuTensor,
    &crate::gpu::GpuTensor,
) -> crate::gpu::Dispatch;
type Cpu1 = fn(&[f32]) -> Vec<f32>;
type Cpu2 = fn(&[f32], &[f32]) -> Vec<f32>;

/// relu, silu and gelu, forward and backward.
pub fn activations(p: &mut Probe) {
    let n = 3 * 5 * 7;
    let acts: [(&str, Launch, Launch, Cpu1, Cpu2); 3] = [
        (
            "relu",
            |g, x, y, _| relu::relu(g, x, y),
            relu::relu_backward,
            relu::relu_cpu,
            relu::relu_backward_cpu,
        ),
        (
            "silu",
            |g, x, y, _| silu::silu(g, x, y),
            silu::silu_backward,
            silu::silu_cpu,
            silu::silu_backward_cpu,
        ),
        (
            "gelu",
            |g, x, y, _| gelu::gelu(g, x, y),
            gelu::gelu_backward,
            gelu::gelu_cpu,
            gelu::gelu_backward_cpu,
        ),
    ];
    for (name, fwd, bwd, fwd_cpu, bwd_cpu) in acts {
        let (x, xg) = p.filled(&[n]);
        let (dy, dyg) = p.filled(&[n]);
        let (y, dx) = (p.zeros(&[n]), p.zeros(&[n]));
        p.run([fwd(p.gpu, &xg, &y, &y), bwd(p.gpu, &xg, &dyg, &dx)]);
        p.check(&format!("{name} forward"), &y, &fwd_cpu(&x), bound(1, 0.0));
        p.check(
            &format!("{name} backward"),
            &dx,
            &bwd_cpu(&x, &dy),
            bound(1, 0.0),
        );
    }
}

/// add, concat and broadcast_add with their backward passes (which accumulate into zeros).
pub fn adds(p: &mut Probe) {
    let (n, c1, c2, hw) = (3, 5, 3, 7);
    let b1 = bound(1, 0.0);
    let (a, ag) = p.filled(&[n, c1, hw]);
    let (b, bg) = p.filled(&[n, c1, hw]);
    let (dy, dyg) = p.filled(&[n, c1, hw]);
    let (y, da, db) = (
        p.zeros(&[n, c1, hw]),
        p.zeros(&[n, c1, hw]),
        p.zeros(&[n, c1, hw]),
    );
    let mut ds = vec![add::add(p.gpu, &ag, &bg, &y)];
    ds.extend(add::add_backward(p.gpu, &dyg, Some(&da), Some(&db)));
    p.run(ds);
    p.check("add forward", &y, &add::add_cpu(&a, &b), b1);
    p.check("add backward", &db, &dy, b1);

    let (c, cg) = p.filled(&[n, c2, hw]);
    let (dyc, dycg) = p.filled(&[n, c1 + c2, hw]);
    let (yc, dca, dcb) = (
        p.zeros(&[n, c1 + c2, hw]),
        p.zeros(&[n, c1, hw]),
        p.zeros(&[n, c2, hw]),
    );
    p.run([
        concat::concat(p.gpu, &ag, &cg, &yc),
        concat::concat_backward(p.gpu, &dycg, &dca, &dcb),
    ]);
    p.check(
        "concat forward",
        &yc,
        &concat::concat_cpu(n, c1, c2, hw, &a, &c),
        b1,
    );
    let (wa, wb) = concat::concat_backward_cpu(n, c1, c2, hw, &dyc);
    p.check("concat backward a", &dca, &wa, b1);
    p.check("concat backward b", &dcb, &wb, b1);

    // The backward's f32 entry (hw = 7) and its vec4 one (hw = 8).
    for hw in [hw, 8] {
        broadcast(p, n, c1, hw);
    }
}

fn broadcast(p: &mut Probe, n: usize, c: usize, hw: usize) {
    let b1 = bound(1, 0.0);
    let (a, ag) = p.filled(&[n, c, hw]);
    let (dy, dyg) = p.filled(&[n, c, hw]);
    let (v, vg) = p.filled(&[n, c]);
    let (yb, dxb, dv) = (p.zeros(&[n, c, hw]), p.zeros(&[n, c, hw]), p.zeros(&[n, c]));
    let mut ds = vec![broadcast_add::broadcast_add(p.gpu, n, c, hw, &ag, &vg, &yb)];
    ds.extend(broadcast_add::broadcast_add_backward(
        p.gpu, n, c, hw, &dyg, &dxb, &dv,
    ));
    p.run(ds);
    let want = broadcast_add::broadcast_add_cpu(n, c, hw, &a, &v);
    p.check("broadcast_add forward", &yb, &want, b1);
    let (wx, wv) = broadcast_add::broadcast_add_backward_cpu(n, c, hw, &dy);
    p.check("broadcast_add backward x", &dxb, &wx, b1);
    p.check("broadcast_add backward v", &dv, &wv, bound(hw, 0.0));
}

/// 2x2 max pooling and bilinear x2 upsampling, forward and backward.
pub fn pool_upsample(p: &mut Probe) {
    let (n, c, h, w) = (2, 3, 6, 10);
    let (x, xg) = p.filled(&[n, c, h, w]);
    let (dy, dyg) = p.filled(&[n, c, h / 2, w / 2]);
    let (y, dx) = (p.zeros(&[n, c, h / 2, w / 2]), p.zeros(&[n, c, h, w]));
    p.run([
        maxpool::maxpool(p.gpu, &xg, &y),
        maxpool::maxpool_backward(p.gpu, &xg, &dyg, &dx),
    ]);
    p.check(
        "maxpool forward",
        &y,
        &maxpool::maxpool_cpu(n, c, h, w, &x),
        bound(1, 0.0),
    );
    let want = maxpool::maxpool_backward_cpu(n, c, h, w, &x, &dy);
    p.check("maxpool backward", &dx, &want, bound(1, 0.0));

    let (h, w) = (3, 5);
    let (x, xg) = p.filled(&[n, c, h, w]);
    let (dy, dyg) = p.filled(&[n, c, 2 * h, 2 * w]);
    let (y, dx) = (p.zeros(&[n, c, 2 * h, 2 * w]), p.zeros(&[n, c, h, w]));
    p.run([
        upsample::upsample(p.gpu, &xg, &y),
        upsample::upsample_backward(p.gpu, &dyg, &dx),
    ]);
    p.check(
        "upsample forward",
        &y,
        &upsample::upsample_cpu(n, c, h, w, &x),
        bound(4, 0.0),
    );
    let want = upsample::upsample_backward_cpu(n, c, h, w, &dy);
    p.check("upsample backward", &dx, &want, bound(16, 0.0));
}

/// y = x w^T + b and its three gradients.
pub fn linear(p: &mut Probe) {
    let (m, k, n) = (5, 37, 11);
    let (x, xg) = p.filled(&[m, k]);
    let (w, wg) = p.filled(&[n, k]);
    let (b, bg) = p.filled(&[n]);
    let (dy, dyg) = p.filled(&[m, n]);
    let (y, dx, dw, db) = (
        p.zeros(&[m, n]),
        p.zeros(&[m, k]),
        p.zeros(&[n, k]),
        p.zeros(&[n]),
    );
    let mut ds = vec![linear::linear(p.gpu, &xg, &wg, &bg, &y)];
    ds.extend(linear::linear_backward(
        p.gpu, &xg, &wg, &dyg, &dx, &dw, &db,
    ));
    p.run(ds);
    p.check(
        "linear forward",
        &y,
        &linear::linear_cpu(m, k, n, &x, &w, &b),
        bound(k, 0.0),
    );
    let (wx, ww, wb) = linear::linear_backward_cpu(m, k, n, &x, &w, &dy);
    p.check("linear backward x", &dx, &wx, bound(n, 0.0));
    p.check("linear backward w", &dw, &ww, bound(m, 0.0));
    p.check("linear backward b", &db, &wb, bound(m, 0.0));
}

/// Mean squared error and its gradient.
pub fn mse(p: &mut Probe) {
    let n = 3 * 5 * 7 * 11;
    let (a, ag) = p.filled(&[n]);
    let (b, bg) = p.filled(&[n]);
    let (loss, d) = (p.zeros(&[1]), p.zeros(&[n]));
    let mut ds = mse::mse(p.gpu, &ag, &bg, &loss);
    ds.push(mse::mse_backward(p.gpu, &ag, &bg, &d));
    p.run(ds);
    p.check("mse forward", &loss, &[mse::mse_cpu(&a, &b)], bound(n, 0.0));
    p.check(
        "mse backward",
        &d,
        &mse::mse_backward_cpu(&a, &b),
        bound(1, 0.0),
    );
    // Min-SNR weighted, 5 images of 231.
    let w: Vec<f32> = p.rng.vec_uniform(5, 0.01, 2.0);
    let wg = p.gpu.upload(&w, &[5]);
    let (loss, d) = (p.zeros(&[1]), p.zeros(&[n]));
    let mut ds = mse::mse_weighted(p.gpu, &ag, &bg, &wg, &loss);
    ds.push(mse::mse_backward_weighted_over(p.gpu, &ag, &bg, &wg, &d, n));
    p.run(ds);
    let want = mse::mse_weighted_cpu(&a, &b, &w);
    p.check("mse weighted forward", &loss, &[want], bound(n, 0.0));
    let want = mse::mse_backward_weighted_cpu(&a, &b, &w);
    p.check("mse weighted backward", &d, &want, bound(1, 0.0));
}
