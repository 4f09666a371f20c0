//! The page's side of wgpu-ddpm: a training run, sampling, checkpoints, dropped files, the
//! shader check and the PyTorch golden, handed to JavaScript. Every GPU wait is awaited (the browser cannot block); each method
//! that reads back returns a Promise.

mod check;
mod data;
mod golden;

pub use data::Data;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use wgpu_ddpm::checkpoint::Checkpoint;
use wgpu_ddpm::data::Dataset;
use wgpu_ddpm::diffusion::sampler::{Sampler, SamplerConfig, SamplerKind};
use wgpu_ddpm::gpu::Gpu;
use wgpu_ddpm::model::checkpoint_io::{config_of, prediction_of};
use wgpu_ddpm::model::nets;
use wgpu_ddpm::model::network::{Model, NetConfig, NetKind};
use wgpu_ddpm::train::{mean_loss_async, TrainConfig, Trainer};

thread_local! {
    static GPU: RefCell<Option<Arc<Gpu>>> = const { RefCell::new(None) };
}

pub(crate) fn err(e: anyhow::Error) -> JsValue {
    JsValue::from_str(&format!("{e:#}"))
}

pub(crate) fn gpu() -> Result<Arc<Gpu>, JsValue> {
    GPU.with(|g| g.borrow().clone())
        .ok_or_else(|| JsValue::from_str("call openGpu() first"))
}

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Open the browser's WebGPU adapter; resolves to a one-line description of it.
#[wasm_bindgen(js_name = openGpu)]
pub async fn open_gpu() -> Result<String, JsValue> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::BROWSER_WEBGPU,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapter = instance
        .request_adapter(&wgpu::RequestAdapterOptions::default())
        .await
        .map_err(|e| JsValue::from_str(&format!(
            "this browser offers WebGPU but no adapter ({e}); on Linux Chromium needs --enable-unsafe-webgpu, elsewhere check chrome://gpu"
        )))?;
    let g = Gpu::open(adapter, None).await.map_err(err)?;
    let l = &g.limits;
    // Browsers often leave the name empty (privacy); the driver or vendor says something.
    let i = &g.info;
    let name = [&i.name, &i.driver, &i.driver_info]
        .into_iter()
        .find(|s| !s.is_empty())
        .map_or("unnamed adapter", |s| s.as_str());
    let text = format!(
        "{name} ({:?}); storage binding up to {} MiB, {} storage buffers per stage",
        i.device_type,
        l.max_storage_buffer_binding_size >> 20,
        l.max_storage_buffers_per_shader_stage
    );
    GPU.with(|s| *s.borrow_mut() = Some(g));
    Ok(text)
}

/// A network configuration from the page's choices for images of `image_channels` x `size` x
/// `size`: `channels` empty takes the network's small (CPU) widths.
fn net_config(
    net: &str,
    image_channels: usize,
    size: usize,
    channels: &str,
) -> anyhow::Result<NetConfig> {
    let kind = NetKind::from_name(net)?;
    let ch: Vec<usize> = if channels.trim().is_empty() {
        nets::cpu_channels(kind)
    } else {
        channels
            .split(',')
            .map(|c| c.trim().parse::<usize>())
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("channels '{channels}': {e} (write e.g. 16,32)"))?
    };
    let cfg = NetConfig {
        channels: ch,
        ..NetConfig::for_net(kind, image_channels, size)
    };
    cfg.validate()?;
    Ok(cfg)
}

/// A training run on a [`Data`] (the built-in shapes or dropped files).
#[wasm_bindgen]
pub struct Training {
    trainer: Rc<RefCell<Trainer>>,
    data: Rc<Dataset>,
}

#[wasm_bindgen]
impl Training {
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        data: &Data,
        net: &str,
        channels: &str,
        batch: u32,
        steps: u32,
        lr: f32,
        seed: u32,
        log_every: u32,
    ) -> Result<Training, JsValue> {
        let gpu = gpu()?;
        let cfg = net_config(net, data.ds.c, data.ds.h, channels).map_err(err)?;
        wgpu_ddpm::train::memory::check_fits(&gpu, &cfg, batch as usize).map_err(err)?;
        let mut tc = TrainConfig::plain(cfg, batch as usize);
        tc.steps = steps as u64;
        tc.seed = seed as u64;
        tc.log_every = log_every.max(1) as u64;
        tc.adam.lr = lr;
        let trainer = Trainer::new(gpu, tc).map_err(err)?;
        Ok(Training {
            trainer: Rc::new(RefCell::new(trainer)),
            data: data.ds.clone(),
        })
    }

    #[wasm_bindgen(getter)]
    pub fn step(&self) -> u32 {
        self.trainer.borrow().step as u32
    }

    #[wasm_bindgen(getter, js_name = paramCount)]
    pub fn param_count(&self) -> u32 {
        self.trainer.borrow().net.param_count() as u32
    }

    /// Queue one step; true when its losses must be read (`losses()`) before the next one.
    #[wasm_bindgen(js_name = submitStep)]
    pub fn submit_step(&self) -> bool {
        self.trainer.borrow_mut().submit_step(&self.data)
    }

    /// Resolves to [step, loss, step, loss, ...] of the steps since the last call.
    pub fn losses(&self) -> Promise {
        let t = self.trainer.clone();
        future_to_promise(async move {
            let mut tr = t.borrow_mut();
            let out: Vec<f64> = (tr.take_losses_async().await)
                .into_iter()
                .flat_map(|(s, l)| [s as f64, l as f64])
                .collect();
            Ok(js_sys::Float64Array::from(&out[..]).into())
        })
    }

    /// Resolves to the checkpoint's safetensors bytes (the CLI's format, Adam state included).
    pub fn checkpoint(&self) -> Promise {
        let t = self.trainer.clone();
        future_to_promise(async move {
            let ck = t.borrow().checkpoint_async().await;
            let bytes = ck.to_bytes().map_err(err)?;
            Ok(js_sys::Uint8Array::from(&bytes[..]).into())
        })
    }

    /// Resolves to `wgpu-ddpm eval`'s number for this model: mean MSE over the first `count`
    /// shapes, batch `batch`, seed `seed`, random t.
    pub fn eval(&self, count: u32, batch: u32, seed: u32) -> Promise {
        let (t, data) = (self.trainer.clone(), self.data.clone());
        future_to_promise(async move {
            let tr = t.borrow();
            let n = (count as usize).min(data.len());
            let loss = mean_loss_async(
                &tr.gpu,
                &tr.net,
                &tr.schedule,
                batch as usize,
                &data,
                n,
                seed as u64,
                None,
            )
            .await
            .map_err(err)?;
            Ok(loss.into())
        })
    }

    /// Resolves to `n` images ([n * c * size * size], in [-1, 1]) then `strip` snapshots of
    /// the first image, all in one Float32Array; DDIM with `steps` steps.
    pub fn sample(&self, n: u32, steps: u32, seed: u32, strip: u32) -> Promise {
        let t = self.trainer.clone();
        future_to_promise(async move {
            let tr = t.borrow();
            draw(&tr.gpu, &tr.net, &tr.schedule, n, steps, seed, strip).await
        })
    }
}

/// A checkpoint loaded for sampling.
#[wasm_bindgen]
pub struct Loaded {
    net: Rc<Model>,
    schedule: Rc<wgpu_ddpm::diffusion::schedule::Schedule>,
    size: u32,
}

#[wasm_bindgen]
impl Loaded {
    /// Read a checkpoint (safetensors bytes, e.g. a dropped file); its EMA weights when it has them.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], size: u32) -> Result<Loaded, JsValue> {
        let gpu = gpu()?;
        let ck = Checkpoint::from_bytes(bytes, "the checkpoint").map_err(err)?;
        let cfg = config_of(&ck, size as usize).map_err(err)?;
        if ![1, 3].contains(&cfg.image_channels) {
            return Err(JsValue::from_str(&format!(
                "this page draws grey or RGB images; the checkpoint's have {} channels",
                cfg.image_channels
            )));
        }
        let mut net = Model::new(&gpu, &cfg, 0).map_err(err)?;
        net.prediction = prediction_of(&ck, "the checkpoint").map_err(err)?;
        net.load_checkpoint(&gpu, &ck, false).map_err(err)?;
        if ck.tensors.keys().any(|k| k.starts_with("ema.")) {
            net.load_ema_as_model(&gpu, &ck).map_err(err)?;
        }
        let t_max = ck
            .metadata
            .get("t_max")
            .and_then(|t| t.parse().ok())
            .unwrap_or(cfg.t_max);
        let kind = match ck.metadata.get("schedule").map(String::as_str) {
            Some("cosine") => wgpu_ddpm::diffusion::schedule::ScheduleKind::Cosine,
            _ => wgpu_ddpm::diffusion::schedule::ScheduleKind::Linear,
        };
        let schedule = wgpu_ddpm::diffusion::schedule::Schedule::new(kind, t_max).map_err(err)?;
        Ok(Loaded {
            size: cfg.image_size as u32,
            net: Rc::new(net),
            schedule: Rc::new(schedule),
        })
    }

    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        self.size
    }

    #[wasm_bindgen(getter)]
    pub fn channels(&self) -> u32 {
        self.net.cfg.image_channels as u32
    }

    /// As [`Training::sample`].
    pub fn sample(&self, n: u32, steps: u32, seed: u32, strip: u32) -> Promise {
        let (net, schedule) = (self.net.clone(), self.schedule.clone());
        future_to_promise(async move {
            let gpu = gpu()?;
            draw(&gpu, &net, &schedule, n, steps, seed, strip).await
        })
    }
}

async fn draw(
    gpu: &Arc<Gpu>,
    net: &Model,
    schedule: &wgpu_ddpm::diffusion::schedule::Schedule,
    n: u32,
    steps: u32,
    seed: u32,
    strip: u32,
) -> Result<JsValue, JsValue> {
    let (n, c, s) = (
        n.max(1) as usize,
        net.cfg.image_channels,
        net.cfg.image_size,
    );
    let x = gpu.zeros(&[n, c, s, s]);
    let t = gpu.zeros(&[n]);
    let (model, eps) = wgpu_ddpm::sample::record_model(gpu, net, &x, &t, None);
    let cfg = SamplerConfig {
        kind: SamplerKind::Ddim {
            steps: (steps.max(1) as usize).min(schedule.t_max),
            eta: 0.0,
        },
        clip_x0: true,
        seed: seed as u64,
        prediction: net.prediction,
    };
    let sampler = Sampler::new(gpu, schedule, cfg, n, c * s * s, &x, &t, &eps).map_err(err)?;
    let (fin, snaps) = sampler
        .run_async(&model, strip as usize, |_, _| {})
        .await
        .map_err(err)?;
    let mut out = fin;
    for snap in &snaps {
        out.extend_from_slice(&snap[..c * s * s]);
    }
    Ok(js_sys::Float32Array::from(&out[..]).into())
}

/// Compose every kernel of the registry for the browser and build it under its WGSL compiler
/// (Tint in Chromium); resolves to a report, one line per kernel that failed, then a summary.
#[wasm_bindgen(js_name = checkShaders)]
pub async fn check_shaders() -> Result<String, JsValue> {
    let gpu = gpu()?;
    check::all(&gpu).await
}
