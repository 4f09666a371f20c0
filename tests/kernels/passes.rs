//! Multi-pass launchers record their passes in order (each pass's numerics are covered by the
//! op's own tests): batchnorm_stats -> batchnorm, batchnorm_backward_reduce ->
//! batchnorm_backward, mse -> mse_sum, linear_backward_data -> linear_backward_weight,
//! conv2d_pack_input (x, dy) -> conv2d_backward_weight -> conv2d_backward_weight_reduce,
//! and the conv plan's backward: pack dy, pack the transposed weights, backward-input, then the
//! weight gradient.

use wgpu_ddpm::kernels::conv2d::GeneralConv;
use wgpu_ddpm::kernels::{batchnorm, conv2d, linear, mse};

use crate::common::*;

fn labels(d: &[wgpu_ddpm::gpu::Dispatch]) -> Vec<&'static str> {
    d.iter().map(|d| d.label).collect()
}

#[test]
fn multi_pass_launchers_record_their_passes_in_order() {
    let gpu = gpu();
    let z = |n: usize| gpu.zeros(&[n]);
    let s = batchnorm::BnShape { n: 2, c: 3, hw: 5 };
    let (x, y, c) = (z(30), z(30), z(3));
    let fwd =
        batchnorm::batchnorm_train(&gpu, &s, &x, &c, &c, [&c; 4], &y, batchnorm::BnOut::Plain);
    assert_eq!(labels(&fwd), ["batchnorm_stats", "batchnorm"]);
    let bwd = batchnorm::batchnorm_backward(&gpu, &s, &x, &c, [&c, &c], &y, None, [&x, &c, &c]);
    assert_eq!(
        labels(&bwd),
        ["batchnorm_backward_reduce", "batchnorm_backward"]
    );
    let l = z(1);
    assert_eq!(labels(&mse::mse(&gpu, &x, &y, &l)), ["mse", "mse_sum"]);
    let (lx, lw, ldy) = (gpu.zeros(&[2, 3]), gpu.zeros(&[4, 3]), gpu.zeros(&[2, 4]));
    let lb = linear::linear_backward(&gpu, &lx, &lw, &ldy, &lx, &lw, &z(4));
    assert_eq!(
        labels(&lb),
        ["linear_backward_data", "linear_backward_weight"]
    );
    let cs = conv2d::Conv2dShape {
        n: 1,
        cin: 2,
        cout: 3,
        h: 4,
        w: 5,
        k: 3,
    };
    let cw = conv2d::conv2d_backward_weight(&gpu, &cs, &z(40), &z(60), &z(54), &z(3));
    assert_eq!(
        labels(&cw),
        [
            "conv2d_pack_input",
            "conv2d_pack_input",
            "conv2d_backward_weight",
            "conv2d_backward_weight_reduce"
        ]
    );
    let plan = conv2d::ConvPlan::new(&gpu, &cs, true);
    assert_eq!(
        labels(&plan.forward(&gpu, &z(40), &z(54), &z(3), &z(60))),
        ["conv2d_pack_input", "conv2d_pack_weight", "conv2d"]
    );
    let (dx, dw, db) = (z(40), z(54), z(3));
    assert_eq!(
        labels(&plan.backward(&gpu, &z(54), &z(60), Some(&dx), Some(&dw), Some(&db))),
        [
            "conv2d_pack_input",
            "conv2d_pack_weight",
            "conv2d_backward_input",
            "conv2d_backward_weight",
            "conv2d_backward_weight_reduce"
        ]
    );
}

#[test]
fn strided_conv_weight_gradient_records_its_passes_in_order() {
    // Pack x and dy, the per-split weight gradients, their fixed-order reduce, and the bias
    // gradient from the packed dy.
    let gpu = gpu();
    let s = conv2d::Conv2dGeom {
        n: 2,
        cin: 3,
        cout: 5,
        h: 7,
        w: 6,
        k: 4,
        stride: 2,
        pad: 1,
    };
    let z = |n: usize| gpu.zeros(&[n]);
    let (x, dy) = (z(s.x_len()), z(s.y_len()));
    let (dw, db) = (z(s.w_len()), z(s.cout));
    let got = labels(&s.backward_weight(&gpu, &x, &dy, &dw, Some(&db)));
    let tail = &got[got.len() - 3..];
    assert_eq!(
        tail,
        [
            "conv2d_geom_backward_weight",
            "conv2d_geom_backward_weight_reduce",
            "conv2d_geom_bias_backward"
        ],
        "{got:?}"
    );
    assert!(
        got[..got.len() - 3]
            .iter()
            .all(|l| l.starts_with("conv2d_pack")),
        "{got:?}"
    );
}
