//! Command-line interface: the clap types and the dispatch to [`crate::commands`]. The
//! argument structs live with their commands, so nothing imports this module back.

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::commands::edit::EditArgs;
use crate::commands::{self, EvalArgs, FinetuneArgs, InfoArgs, QualityArgs, SampleArgs, TrainArgs};

#[derive(Parser)]
#[command(
    name = "wgpu-ddpm",
    version,
    about = "DDPM training and sampling on any Vulkan / Metal / DX12 GPU"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every adapter with its backend, type, driver, and the limits that matter here
    /// (`--check`: run the kernel self-check on the selected one).
    Info(InfoArgs),
    /// Train a U-Net (default: the built-in shapes dataset).
    // Boxed: its many flags make it twice the size of the other variants.
    Train(Box<TrainArgs>),
    /// Draw samples from a checkpoint into a PNG grid (and a denoising strip).
    Sample(SampleArgs),
    /// Mean noise-prediction MSE of a checkpoint on a dataset at fixed seeds.
    Eval(EvalArgs),
    /// Fine-tune a checkpoint on a differentiable reward through its last K sampler steps
    /// (DRaFT-K).
    Finetune(FinetuneArgs),
    /// SDEdit an image: noise it to t = S*T and denoise it back (optionally optimising the
    /// input for a reward through the steps).
    Edit(EditArgs),
    /// Sample quality: Frechet distance of a small classifier's features (not Inception FID),
    /// class coverage and confidence, beside real-vs-real and noise references.
    Quality(QualityArgs),
}

pub fn run() -> Result<()> {
    match Cli::parse().command {
        Command::Info(a) => commands::info(&a),
        Command::Train(a) => commands::train(&a),
        Command::Sample(a) => commands::sample(&a),
        Command::Eval(a) => commands::eval(&a),
        Command::Finetune(a) => commands::finetune::finetune(&a),
        Command::Edit(a) => commands::edit::edit(&a),
        Command::Quality(a) => commands::quality(&a),
    }
}
