//! The flags of `wgpu-ddpm train`, apart from the loop that runs them (`train.rs`) and the
//! setup that reads them (`train_setup.rs`), so neither imports the other.

use std::path::PathBuf;

use clap::Args;

use super::train_objective::ObjectiveArgs;
use super::train_optim::OptimArgs;
use super::AdapterArgs;

#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    /// Dataset: `builtin` (procedural shapes), an IDX file (MNIST / Fashion-MNIST, gzip or raw),
    /// a folder of PNG/JPEG images (one subfolder per class gives labels), or one image.
    #[arg(long, default_value = "builtin")]
    pub data: String,
    /// IDX label file (found automatically beside `*-images-idx3-*` files).
    #[arg(long)]
    pub labels: Option<String>,
    /// Image size (square, a multiple of 4); default: the data's own (28 for builtin/MNIST).
    #[arg(long)]
    pub image_size: Option<usize>,
    /// Image channels for image files: 1 (gray) or 3 (RGB).
    #[arg(long)]
    pub image_channels: Option<usize>,
    /// The network: seed000 (the seed U-Net, the default), seed001, seed002, seed003 or
    /// seed004 (the seed tutorials' own; `info` lists them); --preset picks its seed's.
    #[arg(long)]
    pub net: Option<String>,
    /// Channel widths, as the network reads them (seed000: c1,c2,c3, default 64,128,256 on a
    /// GPU and 16,32,64 on a CPU adapter; the others: see `info`).
    #[arg(long, value_delimiter = ',')]
    pub channels: Option<Vec<usize>>,
    /// Time-embedding size D (default: the network's, 100 for seed000).
    #[arg(long)]
    pub temb_dim: Option<usize>,
    /// Number of diffusion steps T (default 1000).
    #[arg(long = "timesteps", short = 'T')]
    pub t_max: Option<usize>,
    /// Noise schedule: linear or cosine.
    #[arg(long, default_value = "linear")]
    pub schedule: String,
    /// A classic workload's defaults and its seed's network (every flag still overrides):
    /// mnist (28x28, T=1000, seed000), mnist-t300 (seed002), fashion16 (16x16, T=150,
    /// seed004), single48 (one 48x48 RGB image, sigma^2 = beta, seed001), folder64 (64x64 RGB
    /// image folder, AdamW, seed003).
    #[arg(long)]
    pub preset: Option<String>,
    /// Train class-conditionally on the data's labels (learned label embedding + null label).
    #[arg(long)]
    pub cond: bool,
    /// With --cond: probability of dropping a label to the null label (classifier-free guidance).
    #[arg(long, default_value_t = 0.1)]
    pub label_dropout: f32,
    /// Variance of the DDPM sample grids: small (beta tilde) or large (beta).
    #[arg(long)]
    pub variance: Option<String>,
    /// Batch size (default 128 on a GPU; 16 on a CPU adapter).
    #[arg(long)]
    pub batch: Option<usize>,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f32,
    /// Decoupled weight decay (AdamW); 0 is plain Adam.
    #[arg(long)]
    pub weight_decay: Option<f32>,
    /// Training steps (default 3000 on a GPU; 800 on a CPU adapter). Overrides --epochs.
    #[arg(long)]
    pub steps: Option<u64>,
    /// Training length in passes over the dataset.
    #[arg(long)]
    pub epochs: Option<f64>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Read the loss back every N steps (the only readback in the loop).
    #[arg(long, default_value_t = 20)]
    pub log_every: u64,
    /// Write a sample grid every N steps (0: only at the end).
    #[arg(long, default_value_t = 0)]
    pub sample_every: u64,
    /// Write a checkpoint every N steps (and always at the end).
    #[arg(long, default_value_t = 500)]
    pub checkpoint_every: u64,
    /// Also keep the newest N checkpoints as step-numbered copies beside the latest
    /// (checkpoint_000500.safetensors, ...); older copies are deleted. 0: none.
    #[arg(long, default_value_t = 0)]
    pub keep_checkpoints: usize,
    /// Steps of the sample grids' sampler, DDIM (eta 1) unless --sample-sampler; default: the
    /// full DDPM chain on a GPU, a 100-step DDIM on a CPU adapter.
    #[arg(long)]
    pub sample_steps: Option<usize>,
    /// Sampler of the sample grids: ddpm, ddim (eta 1) or dpm++2m, with --sample-steps
    /// steps (ddim: 50, dpm++2m: 20 when not given); default: as --sample-steps describes.
    #[arg(long)]
    pub sample_sampler: Option<String>,
    /// Images in each sample grid.
    #[arg(long, default_value_t = 16)]
    pub samples: usize,
    /// Clip gradients to this global L2 norm (e.g. 1.0); off by default.
    #[arg(long)]
    pub grad_clip: Option<f32>,
    /// Keep an EMA of the weights with this fixed decay (e.g. 0.999); off by default.
    #[arg(long)]
    pub ema: Option<f32>,
    #[command(flatten)]
    pub optim: OptimArgs,
    #[command(flatten)]
    pub objective: ObjectiveArgs,
    /// Log the quality number (`wgpu-ddpm quality`) every N steps and at the end into
    /// metrics.csv and loss.png (0: off). Needs labelled data; costs --quality-count
    /// generated images (50-step DDIM) each time.
    #[arg(long, default_value_t = 0)]
    pub quality_every: u64,
    /// Images generated for each --quality-every measurement.
    #[arg(long, default_value_t = 100)]
    pub quality_count: usize,
    /// Run directory (config, metrics.csv, PNGs, checkpoint.safetensors).
    #[arg(long, default_value = "runs/latest")]
    pub out: PathBuf,
    /// Continue from the run directory's checkpoint (or this checkpoint file); a run
    /// directory without one starts a new run (and says so).
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub resume: Option<String>,
    #[command(flatten)]
    pub adapter: AdapterArgs,
}
