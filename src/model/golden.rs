//! A network against PyTorch's float64 result on fixed weights and inputs (the fixtures of
//! tests/fixtures, made by scripts/make_torch_golden.py and scripts/make_seed_goldens.py): the
//! eval-mode output, one train-mode forward (BatchNorm batch statistics), its MSE loss, the
//! gradient of every parameter and, where the fixture has them, the running statistics after
//! that forward. Bytes in, a report out, so the native test (tests/golden.rs) and the browser
//! page (web/) run the same comparison.

use anyhow::{anyhow, bail, Result};

use crate::checkpoint::Checkpoint;
use crate::gpu::{Gpu, GpuTensor, Program};
use crate::kernels::time_embedding::{time_encoding, time_encoding_cpu, TimeEncoding};
use crate::model::checkpoint_io::config_of;
use crate::model::graph::{Graph, Var};
use crate::model::network::{Model, NetConfig, NetKind};

/// A network configuration, its weights and PyTorch's results for them.
pub struct Fixture {
    pub name: String,
    pub cfg: NetConfig,
    weights: Checkpoint,
    golden: Checkpoint,
}

impl Fixture {
    /// The seed U-Net: weights (torch_unet_tiny.safetensors) and results
    /// (torch_unet_golden.safetensors) in two files; `size` is the fixture's image size.
    pub fn seed_unet(weights: &[u8], golden: &[u8], size: usize) -> Result<Self> {
        let weights = Checkpoint::from_bytes(weights, "the U-Net fixture's weights")?;
        let golden = Checkpoint::from_bytes(golden, "the U-Net golden fixture")?;
        Ok(Self {
            name: "seed U-Net".into(),
            cfg: config_of(&weights, size)?,
            weights,
            golden,
        })
    }

    /// A seed network's fixture (golden_seed00N.safetensors): the weights are every tensor
    /// that is not an input, output, gradient or later statistic.
    pub fn seed(net: NetKind, golden: &[u8]) -> Result<Self> {
        let golden = Checkpoint::from_bytes(golden, &format!("golden_{}", net.name()))?;
        let mut weights = Checkpoint::default();
        let extra = ["x", "t", "target", "eval_out", "train_out", "loss"];
        for (name, (s, data)) in &golden.tensors {
            if !extra.contains(&name.as_str())
                && !name.starts_with("grad.")
                && !name.starts_with("after_train.")
            {
                weights.insert(name, s, data.clone());
            }
        }
        Ok(Self {
            name: net.name().into(),
            cfg: seed_config(net, &golden)?,
            weights,
            golden,
        })
    }

    /// A tensor of PyTorch's side (inputs and results).
    pub fn tensor(&self, name: &str) -> Result<&[f32]> {
        (self.golden.tensors.get(name))
            .map(|(_, v)| v.as_slice())
            .ok_or_else(|| anyhow!("the {} fixture has no tensor '{name}'", self.name))
    }
}

/// Our configuration for the PyTorch constructor arguments a seed fixture records.
fn seed_config(net: NetKind, ck: &Checkpoint) -> Result<NetConfig> {
    let md = |k: &str| -> Result<serde_json::Value> {
        let text = (ck.metadata.get(k)).ok_or_else(|| anyhow!("the fixture has no '{k}'"))?;
        Ok(serde_json::from_str(text)?)
    };
    let (c, shape) = (md("config")?, md("input_shape")?);
    let u = |v: &serde_json::Value| v.as_u64().unwrap_or(0) as usize;
    let list = |v: &serde_json::Value| {
        (v.as_array().into_iter().flatten())
            .map(u)
            .collect::<Vec<_>>()
    };
    let mut cfg = NetConfig::for_net(net, u(&shape[1]), u(&shape[2]));
    match net {
        NetKind::Seed001 => {
            cfg.channels = list(&c["channel_sequence"]);
            cfg.temb_dim = u(&c["time_dim"]);
        }
        NetKind::Seed002 => cfg.t_max = u(&c["T"]),
        NetKind::Seed003 => {
            if c["remove_deep_conv"] != false {
                bail!("seed003's fixture removes the deep bottleneck, which we port");
            }
            cfg.channels = vec![u(&c["base"])];
            cfg.temb_dim = u(&c["time_dim"]);
        }
        NetKind::Seed004 => {
            cfg.channels = list(&c["down_chs"]);
            cfg.t_max = u(&c["T"]);
        }
        NetKind::Seed000 => bail!("seed000's fixture is the seed U-Net's (Fixture::seed_unet)"),
    }
    Ok(cfg)
}

/// How far a whole network may be from PyTorch's float64 result, per tensor, as a relative
/// L2 error (docs/tolerances.md): f32 rounding through its reductions, plus what the time
/// encoding's sin and cos contribute. WGSL lets sin and cos be 2^-11 off, which no
/// whole-network bound tight enough to catch a wrong gradient could absorb; so the
/// encoding's error on this adapter, for these t, is measured with the same kernel the
/// network runs (tests/kernels/time_embedding.rs holds that kernel to WGSL's bound), and
/// the network's sensitivity to it scales it.
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    /// The time encoding's worst absolute error on this adapter for the fixture's t.
    pub encoding_err: f64,
}

/// f32 rounding: the reductions here sum at most n = 256 terms (weight gradients over
/// N*H*W = 192 positions, linear layers over <= 256 inputs); independent roundings leave
/// ~sqrt(n) U = 1e-6 relative per reduction, over the ~40 layers a gradient passes forward
/// and back, amplified up to ~5x where train-mode normalisation gradients subtract means:
/// 16 * 2^-24 * 40 * 5 = 2e-4. (Measured on lavapipe, whose sin and cos are accurate:
/// at most 8.5e-5, seed000's grad down2.mlp.2.bias.)
const ROUNDING: f64 = 2e-4;
/// Relative error of a gradient per unit of absolute error in the time encoding: measured
/// at most 5.6 on these fixtures (SwiftShader, whose encoding is 1.9e-4 off: seed000's
/// grad down2.mlp.2.bias 1.06e-3 from PyTorch), taken with a margin for other error
/// patterns.
const SENSITIVITY: f64 = 30.0;

impl Bound {
    pub async fn measure(gpu: &Gpu, cfg: &NetConfig, t: &[u32]) -> Self {
        let d = cfg.temb_dim;
        let (enc, d) = match cfg.net {
            NetKind::Seed000 => (TimeEncoding::Interleaved, d),
            NetKind::Seed001 => (
                TimeEncoding::Halves {
                    denom: (d / 2 - 1) as f64,
                },
                d,
            ),
            NetKind::Seed003 => (
                TimeEncoding::Halves {
                    denom: (d / 2) as f64,
                },
                d,
            ),
            NetKind::Seed002 | NetKind::Seed004 => (TimeEncoding::Fraction { t_max: cfg.t_max }, 1),
        };
        let tg = gpu.upload_u32(t, &[t.len()]);
        let out = gpu.zeros(&[t.len(), d]);
        let mut prog = Program::new();
        prog.push(time_encoding(gpu, enc, t.len(), d, &tg, &out));
        prog.submit(gpu);
        let want = time_encoding_cpu(enc, t, d);
        let encoding_err = (gpu.read_async(&out).await.iter())
            .zip(&want)
            .map(|(g, w)| (*g as f64 - *w as f64).abs())
            .fold(0.0, f64::max);
        Self { encoding_err }
    }

    pub fn rel(&self) -> f64 {
        ROUNDING + SENSITIVITY * self.encoding_err
    }
}

/// One compared tensor: its error and the most it may be.
#[derive(Clone, Debug)]
pub struct Check {
    pub what: String,
    /// Relative L2 error ||ours - PyTorch|| / ||PyTorch||; where PyTorch's tensor is zero
    /// (a conv bias feeding a train-mode BatchNorm), our norm over the whole gradient's.
    pub err: f64,
    pub bound: f64,
    pub torch_zero: bool,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.err <= self.bound
    }

    pub fn message(&self) -> String {
        if self.torch_zero {
            format!(
                "{}: PyTorch's is zero, ours has norm {:.3e} of the whole gradient's (> {:.3e})",
                self.what, self.err, self.bound
            )
        } else {
            format!(
                "{}: relative error {:.3e} against PyTorch (> {:.3e})",
                self.what, self.err, self.bound
            )
        }
    }
}

/// Every tensor compared for one fixture.
#[derive(Clone, Debug)]
pub struct Report {
    pub name: String,
    pub bound: Bound,
    pub checks: Vec<Check>,
}

impl Report {
    /// The check closest to its bound.
    pub fn worst(&self) -> &Check {
        (self.checks.iter())
            .max_by(|a, b| (a.err / a.bound).total_cmp(&(b.err / b.bound)))
            .expect("a report compares at least the output")
    }

    pub fn failures(&self) -> Vec<String> {
        (self.checks.iter().filter(|c| !c.passed()))
            .map(Check::message)
            .collect()
    }

    /// One line: the worst relative error and its bound, and what failed.
    pub fn summary(&self) -> String {
        let w = self.worst();
        let fails = self.failures();
        format!(
            "golden {}: {} tensors, worst relative error {:.3e} bound {:.3e} ({}){}",
            self.name.replace(' ', "_"),
            self.checks.len(),
            w.err,
            w.bound,
            w.what,
            if fails.is_empty() {
                String::new()
            } else {
                format!(", {} FAILED: {}", fails.len(), fails.join("; "))
            }
        )
    }
}

fn rel_l2(got: &[f32], want: &[f32]) -> f64 {
    let err = (got.iter().zip(want))
        .map(|(g, w)| (*g as f64 - *w as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    err / norm(want).max(1e-12)
}

fn norm(v: &[f32]) -> f64 {
    v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt()
}

/// Our network with the fixture's weights against PyTorch's results for it.
/// One training pass of `model` as the network checks run it: forward in train mode on `x` at
/// timesteps `t`, the MSE loss against `target`, and backward into freshly cleared gradients
/// (`model.grads`). Returns the output, the loss and the recorded program (not submitted).
pub fn train_pass(
    gpu: &Gpu,
    model: &Model,
    x: GpuTensor,
    t: &GpuTensor,
    target: &GpuTensor,
) -> (Var, GpuTensor, Program) {
    let mut g = Graph::new(gpu, true);
    let xin = g.input(x);
    let out = model.forward(&mut g, &xin, t);
    let loss = g.mse(&out, target);
    let tape = g.finish();
    let mut prog = Program::new();
    prog.clear(&model.layout.params.whole(&model.grads));
    prog.append(tape.clear);
    prog.append(tape.forward);
    prog.append(tape.backward);
    (out, loss, prog)
}

pub async fn compare(gpu: &Gpu, fx: &Fixture) -> Result<Report> {
    let model = Model::new(gpu, &fx.cfg, 0)?;
    let t: Vec<u32> = fx.tensor("t")?.iter().map(|v| *v as u32).collect();
    let bound = Bound::measure(gpu, &fx.cfg, &t).await;
    let tol = bound.rel();
    model.load_checkpoint(gpu, &fx.weights, false)?;
    let mut checks = Vec::new();
    let close = |what: String, got: &[f32], want: &[f32]| -> Result<Check> {
        if got.len() != want.len() {
            bail!("{what}: {} values, PyTorch has {}", got.len(), want.len());
        }
        let err = rel_l2(got, want);
        Ok(Check {
            what,
            err,
            bound: tol,
            torch_zero: false,
        })
    };

    let xs = fx.golden.tensors["x"].0.clone();
    let x = gpu.upload(fx.tensor("x")?, &xs);
    let tg = gpu.upload_u32(&t, &[t.len()]);
    let mut g = Graph::new(gpu, false);
    let xin = g.input(x.clone());
    let out = model.forward(&mut g, &xin, &tg);
    let mut prog = Program::new();
    prog.append(g.finish().forward);
    prog.submit(gpu);
    let got = gpu.read_async(&out.val).await;
    checks.push(close("eval_out".into(), &got, fx.tensor("eval_out")?)?);

    let target = gpu.upload(fx.tensor("target")?, &xs);
    let (out, loss, prog) = train_pass(gpu, &model, x, &tg, &target);
    prog.submit(gpu);
    let got = gpu.read_async(&out.val).await;
    checks.push(close("train_out".into(), &got, fx.tensor("train_out")?)?);
    let got = gpu.read_async(&loss).await;
    checks.push(close("loss".into(), &got, fx.tensor("loss")?)?);

    let grads = gpu
        .read_async(&model.layout.params.whole(&model.grads))
        .await;
    let split = model.layout.params.split(&grads);
    let torch_grads = fx
        .golden
        .tensors
        .keys()
        .filter(|k| k.starts_with("grad."))
        .count();
    if split.len() != torch_grads {
        bail!(
            "PyTorch and we disagree on the parameter list: {torch_grads} gradients in the fixture, {} parameters here",
            split.len()
        );
    }
    // A conv bias feeding a train-mode BatchNorm has an exactly zero gradient (PyTorch's is
    // ~1e-16 in float64); ours is f32 rounding noise, held to the bound times the whole
    // gradient.
    let total = norm(&grads);
    for (name, _, got) in split {
        let want = fx.tensor(&format!("grad.{name}"))?;
        let n = norm(want);
        if n < 1e-12 * total.max(1.0) || n < 1e-10 {
            let what = format!("grad {name}");
            let err = norm(&got) / total.max(1e-30);
            checks.push(Check {
                what,
                err,
                bound: tol,
                torch_zero: true,
            });
        } else {
            checks.push(close(format!("grad {name}"), &got, want)?);
        }
    }

    // The seed U-Net's fixture has no running statistics.
    if fx
        .golden
        .tensors
        .keys()
        .any(|k| k.starts_with("after_train."))
    {
        let stats = gpu
            .read_async(&model.layout.stats.whole(&model.stats))
            .await;
        for (name, _, got) in model.layout.stats.split(&stats) {
            let want = fx.tensor(&format!("after_train.{name}"))?;
            checks.push(close(format!("running stat {name}"), &got, want)?);
        }
    }
    Ok(Report {
        name: fx.name.clone(),
        bound,
        checks,
    })
}

/// [`compare`], blocking (native).
#[cfg(not(target_arch = "wasm32"))]
pub fn compare_blocking(gpu: &Gpu, fx: &Fixture) -> Result<Report> {
    pollster::block_on(compare(gpu, fx))
}
