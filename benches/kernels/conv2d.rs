//! The 1x1 output conv (at most 4 output channels) runs the narrow kernels, which pack
//! nothing (conv2d_narrow, conv2d_narrow_weight + conv2d_narrow_weight_reduce), and the first
//! conv's forward and weight gradient the thin ones (conv2d_thin, conv2d_thin_weight +
//! conv2d_thin_weight_reduce); `conv2d_input_sum` times the first conv's pixel-summed input
//! gradient (conv2d_input_sum + conv2d_input_sum_dot; its FLOP/s count the full
//! backward-input it replaces). Every other row includes its packing passes:
//! `conv2d` times conv2d_pack_input + conv2d_pack_weight + conv2d; `conv2d_backward_input` packs dy and the transposed weights;
//! the `conv2d_backward_weight` group times conv2d_pack_input (x, dy) +
//! conv2d_backward_weight + conv2d_backward_weight_reduce. The conv kernel is composed with
//! the subgroup or the plain branch of shaders/spread.wgsl, whichever the adapter gets
//! (`WGPU_DDPM_SPREAD` forces one). `BENCH_BATCH` overrides the batch (default: the
//! bencher's, 8 on a CPU adapter) and `BENCH_CHANNELS` the U-Net's widths (default the
//! seed's 64,128,256), so the shapes of a batch-32 training step at 16,32,64 can be timed.
//! `BENCH_NO_PACK=1` leaves the packing passes out (the textures keep their zeros, which cost
//! a multiply-add what any value does), so a row times the conv pass alone (and, for the
//! weight gradient, its reduce): what packing costs is the difference.
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::{Dispatch, Program};
use wgpu_ddpm::kernels::conv2d::{
    conv2d, conv2d_backward_input, conv2d_backward_input_sum, conv2d_backward_weight, Conv2dShape,
};

/// (cin, cout, h=w, k) of every conv in the seed U-Net (28x28x1) of widths c1, c2, c3: at
/// the seed's 64,128,256 these are 1->64 @28, 64->64 @28, .., 384->128 @14, 192->64 @28 and
/// the 1x1 output conv 64->1.
fn seed_shapes([c1, c2, c3]: [usize; 3]) -> [(usize, usize, usize, usize); 9] {
    [
        (1, c1, 28, 3),
        (c1, c1, 28, 3),
        (c1, c2, 14, 3),
        (c2, c2, 14, 3),
        (c2, c3, 7, 3),
        (c3, c3, 7, 3),
        (c3 + c2, c2, 14, 3),
        (c2 + c1, c1, 28, 3),
        (c1, 1, 28, 1),
    ]
}

/// A usize from the environment variable `name`, or None when unset; panics with the value
/// and an example when it is set but not a number.
fn env_usize(name: &str, example: &str) -> Option<usize> {
    let v = std::env::var(name).ok()?;
    Some(
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v:?}: expected a number such as {example}")),
    )
}

/// The widths from `BENCH_CHANNELS` (three, as `train --channels`), default 64,128,256.
fn widths() -> [usize; 3] {
    let Ok(v) = std::env::var("BENCH_CHANNELS") else {
        return [64, 128, 256];
    };
    let w: Result<Vec<usize>, _> = v.split(',').map(|c| c.trim().parse()).collect();
    w.ok()
        .and_then(|w| w.try_into().ok())
        .unwrap_or_else(|| panic!("BENCH_CHANNELS={v:?}: expected three widths such as 16,32,64"))
}

/// `cmds` without the packing passes when `BENCH_NO_PACK` is set.
fn program(cmds: Vec<Dispatch>, no_pack: bool) -> Program {
    let mut p = Program::new();
    p.extend(
        cmds.into_iter()
            .filter(|d| !(no_pack && d.label.starts_with("conv2d_pack"))),
    );
    p
}

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let no_pack = std::env::var("BENCH_NO_PACK").is_ok_and(|v| v == "1");
    let n = env_usize("BENCH_BATCH", "32").unwrap_or_else(|| b.batch());
    let groups = [
        "conv2d",
        "conv2d_backward_input",
        "conv2d_backward_weight",
        "conv2d_input_sum",
    ];
    if !groups.iter().any(|g| b.enabled(g)) {
        return;
    }
    for (cin, cout, hw, k) in seed_shapes(widths()) {
        let s = Conv2dShape {
            n,
            cin,
            cout,
            h: hw,
            w: hw,
            k,
        };
        let only = if no_pack { " (no packing)" } else { "" };
        let case = format!("{n}x{cin}x{hw}x{hw} -> {cout} k{k}{only}");
        let x = gpu.zeros(&[n, cin, hw, hw]);
        let y = gpu.zeros(&[n, cout, hw, hw]);
        let w = gpu.zeros(&[cout, cin, k, k]);
        let bias = gpu.zeros(&[cout]);
        if b.enabled("conv2d") {
            let p = program(conv2d(gpu, &s, &x, &w, &bias, &y), no_pack);
            b.report("conv2d", &case, &p, s.flops(), 0.0);
        }
        if b.enabled("conv2d_backward_input") {
            let p = program(conv2d_backward_input(gpu, &s, &w, &y, &x), no_pack);
            b.report("conv2d_backward_input", &case, &p, s.flops(), 0.0);
        }
        if b.enabled("conv2d_backward_weight") {
            let p = program(conv2d_backward_weight(gpu, &s, &x, &y, &w, &bias), no_pack);
            b.report("conv2d_backward_weight", &case, &p, s.flops(), 0.0);
        }
        // What the first conv's backward computes instead of backward-input in training (its
        // input, x_t, needs no gradient; the time MLP added to it needs the pixel sums).
        if b.enabled("conv2d_input_sum") && cin < 4 {
            let dv = gpu.zeros(&[n, cin]);
            let p = program(conv2d_backward_input_sum(gpu, &s, &w, &y, &dv), no_pack);
            b.report("conv2d_input_sum", &case, &p, s.flops(), 0.0);
        }
    }
}
