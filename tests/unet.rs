//! The whole U-Net on the GPU (forward, loss, backward through the tape, BatchNorm running
//! stats) against a CPU composition of the kernels' CPU references.

use std::collections::BTreeMap;

use wgpu_ddpm::gpu::Gpu;
use wgpu_ddpm::kernels::batchnorm::{batchnorm_backward_cpu, batchnorm_train_cpu, BnShape};
use wgpu_ddpm::kernels::broadcast_add::{broadcast_add_backward_cpu, broadcast_add_cpu};
use wgpu_ddpm::kernels::concat::{concat_backward_cpu, concat_cpu};
use wgpu_ddpm::kernels::conv2d::{conv2d_backward_cpu, conv2d_cpu, Conv2dShape};
use wgpu_ddpm::kernels::linear::{linear_backward_cpu, linear_cpu};
use wgpu_ddpm::kernels::maxpool::{maxpool_backward_cpu, maxpool_cpu};
use wgpu_ddpm::kernels::mse::{mse_backward_cpu, mse_cpu};
use wgpu_ddpm::kernels::relu::{relu_backward_cpu, relu_cpu};
use wgpu_ddpm::kernels::time_embedding::time_embedding_cpu;
use wgpu_ddpm::kernels::upsample::{upsample_backward_cpu, upsample_cpu};
use wgpu_ddpm::model::network::{Model, NetConfig, NetKind};
use wgpu_ddpm::util::host_rng::HostRng;

use wgpu_ddpm::model::golden::train_pass;

type Map = BTreeMap<String, Vec<f32>>;

fn add_into(map: &mut Map, name: &str, g: &[f32]) {
    let e = map
        .entry(name.to_string())
        .or_insert_with(|| vec![0.0; g.len()]);
    for (a, b) in e.iter_mut().zip(g) {
        *a += b;
    }
}

fn add(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// Saved values of one ConvBlock for its backward.
struct Block {
    name: String,
    n: usize,
    cin: usize,
    cout: usize,
    h: usize,
    w: usize,
    m1: Vec<f32>,
    r1: Vec<f32>,
    hin: Vec<f32>,
    c: [Vec<f32>; 2],
    bn: [(Vec<f32>, Vec<f32>, Vec<f32>); 2],
}

struct Cpu<'a> {
    p: &'a Map,
    stats: Map,
    temb: Vec<f32>,
    d: usize,
}

impl Cpu<'_> {
    #[allow(clippy::too_many_arguments)]
    fn block_fwd(
        &mut self,
        name: &str,
        x: &[f32],
        n: usize,
        cin: usize,
        cout: usize,
        h: usize,
        w: usize,
    ) -> (Vec<f32>, Block) {
        let p = |s: &str| &self.p[&format!("{name}.{s}")];
        let m1 = linear_cpu(
            n,
            self.d,
            cin,
            &self.temb,
            p("mlp.0.weight"),
            p("mlp.0.bias"),
        );
        let r1 = relu_cpu(&m1);
        let m2 = linear_cpu(n, cin, cin, &r1, p("mlp.2.weight"), p("mlp.2.bias"));
        let hin = broadcast_add_cpu(n, cin, h * w, x, &m2);
        let mut cur = hin.clone();
        let mut c: [Vec<f32>; 2] = Default::default();
        let mut bn: [(Vec<f32>, Vec<f32>, Vec<f32>); 2] = Default::default();
        for (i, (conv, bnl, ci)) in [(0, 1, cin), (3, 4, cout)].into_iter().enumerate() {
            let s = Conv2dShape {
                n,
                cin: ci,
                cout,
                h,
                w,
                k: 3,
            };
            c[i] = conv2d_cpu(
                &s,
                &cur,
                p(&format!("convs.{conv}.weight")),
                p(&format!("convs.{conv}.bias")),
            );
            let bs = BnShape {
                n,
                c: cout,
                hw: h * w,
            };
            let mut rm = self.stats[&format!("{name}.convs.{bnl}.running_mean")].clone();
            let mut rv = self.stats[&format!("{name}.convs.{bnl}.running_var")].clone();
            let (y, mean, invstd) = batchnorm_train_cpu(
                &bs,
                &c[i],
                p(&format!("convs.{bnl}.weight")),
                p(&format!("convs.{bnl}.bias")),
                &mut rm,
                &mut rv,
            );
            self.stats
                .insert(format!("{name}.convs.{bnl}.running_mean"), rm);
            self.stats
                .insert(format!("{name}.convs.{bnl}.running_var"), rv);
            cur = relu_cpu(&y);
            bn[i] = (y, mean, invstd);
        }
        let blk = Block {
            name: name.into(),
            n,
            cin,
            cout,
            h,
            w,
            m1,
            r1,
            hin,
            c,
            bn,
        };
        (cur, blk)
    }

    /// Returns d(block input); adds parameter gradients into `g` and the time-embedding
    /// gradient into `dtemb`.
    fn block_bwd(&self, b: &Block, dout: &[f32], g: &mut Map, dtemb: &mut [f32]) -> Vec<f32> {
        let name = &b.name;
        let p = |s: &str| &self.p[&format!("{name}.{s}")];
        let (n, hw) = (b.n, b.h * b.w);
        let mut d = dout.to_vec();
        for (i, (conv, bnl, ci)) in [(0, 1, b.cin), (3, 4, b.cout)]
            .into_iter()
            .enumerate()
            .rev()
        {
            let d_bn = relu_backward_cpu(&b.bn[i].0, &d);
            let bs = BnShape { n, c: b.cout, hw };
            let (d_c, dgamma, dbeta) = batchnorm_backward_cpu(
                &bs,
                &b.c[i],
                p(&format!("convs.{bnl}.weight")),
                &b.bn[i].1,
                &b.bn[i].2,
                &d_bn,
            );
            add_into(g, &format!("{name}.convs.{bnl}.weight"), &dgamma);
            add_into(g, &format!("{name}.convs.{bnl}.bias"), &dbeta);
            let input = if i == 0 {
                b.hin.clone()
            } else {
                relu_cpu(&b.bn[0].0)
            };
            let s = Conv2dShape {
                n,
                cin: ci,
                cout: b.cout,
                h: b.h,
                w: b.w,
                k: 3,
            };
            let (dx, dw, db) =
                conv2d_backward_cpu(&s, &input, p(&format!("convs.{conv}.weight")), &d_c);
            add_into(g, &format!("{name}.convs.{conv}.weight"), &dw);
            add_into(g, &format!("{name}.convs.{conv}.bias"), &db);
            d = dx;
        }
        let (dx, dm2) = broadcast_add_backward_cpu(n, b.cin, hw, &d);
        let (dr1, dw2, db2) = linear_backward_cpu(n, b.cin, b.cin, &b.r1, p("mlp.2.weight"), &dm2);
        add_into(g, &format!("{name}.mlp.2.weight"), &dw2);
        add_into(g, &format!("{name}.mlp.2.bias"), &db2);
        let dm1 = relu_backward_cpu(&b.m1, &dr1);
        let (dt, dw1, db1) =
            linear_backward_cpu(n, self.d, b.cin, &self.temb, p("mlp.0.weight"), &dm1);
        add_into(g, &format!("{name}.mlp.0.weight"), &dw1);
        add_into(g, &format!("{name}.mlp.0.bias"), &db1);
        for (a, v) in dtemb.iter_mut().zip(&dt) {
            *a += v;
        }
        dx
    }
}

/// CPU forward, loss and backward of the seed U-Net.
fn cpu_unet(
    cfg: &NetConfig,
    p: &Map,
    stats: &Map,
    x: &[f32],
    t: &[u32],
    target: &[f32],
) -> (Vec<f32>, f32, Map, Map) {
    let n = t.len();
    let (c, s) = (cfg.image_channels, cfg.image_size);
    let [c1, c2, c3] = [cfg.channels[0], cfg.channels[1], cfg.channels[2]];
    let mut m = Cpu {
        p,
        stats: stats.clone(),
        temb: time_embedding_cpu(t, cfg.temb_dim),
        d: cfg.temb_dim,
    };
    let (x1, b1) = m.block_fwd("down1", x, n, c, c1, s, s);
    let p1 = maxpool_cpu(n, c1, s, s, &x1);
    let (x2, b2) = m.block_fwd("down2", &p1, n, c1, c2, s / 2, s / 2);
    let p2 = maxpool_cpu(n, c2, s / 2, s / 2, &x2);
    let (h3, b3) = m.block_fwd("bot1", &p2, n, c2, c3, s / 4, s / 4);
    let u2 = upsample_cpu(n, c3, s / 4, s / 4, &h3);
    let cat2 = concat_cpu(n, c3, c2, s * s / 4, &u2, &x2);
    let (h4, b4) = m.block_fwd("up2", &cat2, n, c3 + c2, c2, s / 2, s / 2);
    let u1 = upsample_cpu(n, c2, s / 2, s / 2, &h4);
    let cat1 = concat_cpu(n, c2, c1, s * s, &u1, &x1);
    let (h5, b5) = m.block_fwd("up1", &cat1, n, c2 + c1, c1, s, s);
    let so = Conv2dShape {
        n,
        cin: c1,
        cout: c,
        h: s,
        w: s,
        k: 1,
    };
    let out = conv2d_cpu(&so, &h5, &p["out.weight"], &p["out.bias"]);
    let loss = mse_cpu(&out, target);

    let mut g = Map::new();
    let mut dtemb = vec![0.0; m.temb.len()];
    let dout = mse_backward_cpu(&out, target);
    let (dh5, dw, db) = conv2d_backward_cpu(&so, &h5, &p["out.weight"], &dout);
    add_into(&mut g, "out.weight", &dw);
    add_into(&mut g, "out.bias", &db);
    let dcat1 = m.block_bwd(&b5, &dh5, &mut g, &mut dtemb);
    let (du1, dx1_skip) = concat_backward_cpu(n, c2, c1, s * s, &dcat1);
    let dh4 = upsample_backward_cpu(n, c2, s / 2, s / 2, &du1);
    let dcat2 = m.block_bwd(&b4, &dh4, &mut g, &mut dtemb);
    let (du2, dx2_skip) = concat_backward_cpu(n, c3, c2, s * s / 4, &dcat2);
    let dh3 = upsample_backward_cpu(n, c3, s / 4, s / 4, &du2);
    let dp2 = m.block_bwd(&b3, &dh3, &mut g, &mut dtemb);
    let dx2 = add(
        &maxpool_backward_cpu(n, c2, s / 2, s / 2, &x2, &dp2),
        &dx2_skip,
    );
    let dp1 = m.block_bwd(&b2, &dx2, &mut g, &mut dtemb);
    let dx1 = add(&maxpool_backward_cpu(n, c1, s, s, &x1, &dp1), &dx1_skip);
    m.block_bwd(&b1, &dx1, &mut g, &mut dtemb);
    (out, loss, g, m.stats)
}

fn close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(0f32, |a, v| a.max(v.abs())).max(1e-3);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * scale,
            "{what}[{i}]: gpu {g} vs cpu {w} (scale {scale})"
        );
    }
}

#[test]
fn unet_forward_and_backward_match_cpu_composition() {
    let gpu = Gpu::new().unwrap();
    // The seed U-Net with odd channel counts, unconditional, on 1x8x8 images, batch 3.
    let cfg = NetConfig {
        channels: vec![3, 5, 7],
        temb_dim: 6,
        ..NetConfig::for_net(NetKind::Seed000, 1, 8)
    };
    let net = Model::new(&gpu, &cfg, 11).unwrap();
    let n = 3;
    let mut rng = HostRng::new(5);
    let x = rng.vec_normal(n * 64);
    let target = rng.vec_normal(n * 64);
    let t = vec![1u32, 500, 999];

    let ck = net.to_checkpoint(&gpu, 0, false);
    let params: Map = ck
        .tensors
        .iter()
        .map(|(k, v)| (k.clone(), v.1.clone()))
        .collect();

    let xg = gpu.upload(&x, &[n, 1, 8, 8]);
    let tg = gpu.upload_u32(&t, &[n]);
    let tgt = gpu.upload(&target, &[n, 1, 8, 8]);
    let (out, loss, prog) = train_pass(&gpu, &net, xg, &tg, &tgt);
    prog.run(&gpu);

    let (cout, closs, cgrads, cstats) = cpu_unet(&cfg, &params, &params, &x, &t, &target);
    // f32 on both sides with different summation orders through ~12 layers: 1e-3 of the
    // largest magnitude of each tensor.
    close("output", &gpu.read(&out.val), &cout, 1e-3);
    close("loss", &gpu.read(&loss), &[closs], 1e-4);
    let grads = gpu.read(&net.layout.params.whole(&net.grads));
    let split: Map = net
        .layout
        .params
        .split(&grads)
        .into_iter()
        .map(|(k, _, v)| (k, v))
        .collect();
    for (name, want) in &cgrads {
        close(&format!("grad {name}"), &split[name], want, 2e-3);
    }
    assert_eq!(
        cgrads.len(),
        net.layout.params.entries.len(),
        "every parameter has a gradient"
    );
    let stats = net.to_checkpoint(&gpu, 0, false);
    for name in cstats.keys().filter(|k| k.contains("running")) {
        close(name, &stats.tensors[name].1, &cstats[name], 1e-4);
    }
}
