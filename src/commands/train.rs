//! `wgpu-ddpm train`: the training loop with its progress bar, metrics, checkpoints and
//! sample grids.

use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::train_args::TrainArgs;
use super::train_output::{grid_sampler, save_chart, write_samples, QualityLog};
use super::train_setup::{setup, Setup};
use super::{bar, parse_variance, CLASS_NAMES_KEY};
use crate::train::{self, interrupt, metrics, Metrics, Trainer};

pub fn train(a: &TrainArgs) -> Result<()> {
    let a = &a.resolved()?;
    let variance = parse_variance(a.variance.as_deref().unwrap_or("small"))?;
    let gpu = a.adapter.open()?;
    let out = a.out.clone();
    std::fs::create_dir_all(&out)
        .with_context(|| format!("could not create run folder {}", out.display()))?;
    train::run_folder::check_writable(&out)?;
    let Setup {
        cfg,
        ds,
        names,
        resumed,
        changed,
    } = setup(a, &gpu, &out)?;
    let (batch, steps) = (cfg.effective_batch(), cfg.steps);
    train::check_fits(&gpu, &cfg.net, cfg.batch)?;
    train::memory::check_host_memory(&gpu, &cfg.net, cfg.batch, (ds.pixels.len() * 4) as u64)?;
    let mut tr = Trainer::new(gpu.clone(), cfg.clone())?;
    let grid_choice = (a.sample_sampler.as_deref(), a.sample_steps);
    grid_sampler(
        &gpu,
        tr.schedule.t_max,
        variance,
        grid_choice,
        0,
        tr.net.prediction,
    )?;
    if let Some(r) = &resumed {
        tr.resume_from(&r.ck)
            .with_context(|| format!("resuming from {}", r.path.display()))?;
        eprintln!("resumed at step {} from {}", tr.step, r.path.display());
    }
    if tr.step >= steps {
        bail!(
            "the checkpoint is already at step {} and --steps is {steps}: nothing to train; pass a larger --steps",
            tr.step
        );
    }
    train::run_folder::write_config(&out, &cfg, tr.step, changed)?;
    println!(
        "training on {} | adapter {} | {} {:?}, {} parameters, {} dispatches per step | run folder {}",
        ds.description,
        gpu.describe(),
        cfg.net.net.name(),
        cfg.net.channels,
        tr.net.param_count(),
        tr.dispatches_per_step(),
        out.display()
    );
    let mut metrics = Metrics::open(&out, tr.step)?;
    let mut curve = metrics::read_curve(&out.join("metrics.csv"));
    let mut quality = match a.quality_every {
        0 => None,
        every => {
            let done = metrics::read_quality(&out.join("metrics.csv"));
            let kept = done.into_iter().filter(|p| p.0 <= tr.step).collect();
            Some(QualityLog::new(
                &gpu,
                &ds,
                &out,
                every,
                a.quality_count,
                kept,
            )?)
        }
    };
    let interrupts = interrupt::counter();
    let ckpt_path = out.join("checkpoint.safetensors");
    let pb = bar(steps, "train");
    pb.set_position(tr.step);
    let start = Instant::now();
    let (mut last_t, mut last_step) = (Instant::now(), tr.step);
    // The expected duration, from the pace of steps 11..=30 of this session (the first
    // steps also build pipelines and fill the queue; on lavapipe steps 2..=6 ran 1.4x slower
    // than the run's average). Both ends wait for the GPU: a step only submits, and
    // SwiftShader queued 20 steps in no time, which read as 0.00 s/step.
    let (first, mut pace_from) = (tr.step, None);
    // Step of the last checkpoint on disk that this run wrote or resumed from.
    let mut saved = resumed.is_some().then_some(tr.step);
    while tr.step < steps {
        tr.step(&ds);
        pb.set_position(tr.step);
        if tr.step == first + 10 && tr.step + 20 < steps {
            gpu.wait()?;
            pace_from = Some(Instant::now());
        }
        if let Some(t0) = pace_from.filter(|_| tr.step == first + 30) {
            gpu.wait()?;
            let per_step = t0.elapsed().as_secs_f64() / 20.0;
            let rest = per_step * (steps - tr.step) as f64 + start.elapsed().as_secs_f64();
            pb.suspend(|| eprintln!(
                "expected duration: about {}m{:02}s for {steps} steps ({:.2} s/step), plus the final sample grid",
                rest as u64 / 60,
                rest as u64 % 60,
                per_step
            ));
        }
        let stop = interrupts.load(Ordering::SeqCst) > 0;
        let last = tr.step == steps || stop;
        let save = last || (a.checkpoint_every > 0 && tr.step % a.checkpoint_every == 0);
        // Losses are read back before every checkpoint, so metrics.csv holds every step the
        // checkpoint covers and a NaN is caught before poisoned weights are written.
        let quality_due = a.quality_every > 0 && tr.step % a.quality_every == 0;
        let flush = save || quality_due || tr.step % cfg.log_every == 0;
        let losses = tr.take_losses(flush);
        if !losses.is_empty() {
            let dt = last_t.elapsed().as_secs_f64();
            let ips = (tr.step - last_step) as f64 * batch as f64 / dt.max(1e-9);
            (last_t, last_step) = (Instant::now(), tr.step);
            if let Err(e) = train::check_finite(&losses, a.lr, &ckpt_path, saved) {
                pb.abandon();
                return Err(e);
            }
            for &(s, l) in &losses {
                metrics.row(s, l, ips, start.elapsed().as_secs_f64())?;
                curve.push((s, l));
            }
            let recent = &curve[curve.len().saturating_sub(cfg.log_every as usize)..];
            let mean = recent.iter().map(|p| p.1 as f64).sum::<f64>() / recent.len().max(1) as f64;
            pb.set_message(format!("loss {mean:.4} | {ips:.1} img/s"));
        }
        if let Some(q) = quality.as_mut().filter(|q| last || tr.step % q.every == 0) {
            let s = q.log(&gpu, &tr, &mut metrics, start.elapsed().as_secs_f64())?;
            pb.suspend(|| {
                eprintln!(
                    "step {}: quality frechet {:.3}, coverage {}/{}, confidence {:.3}",
                    tr.step, s.frechet, s.covered, s.classes, s.confidence
                )
            });
            save_chart(&out, &curve, &q.points)?;
        }
        if save {
            metrics.sync()?;
            let mut ck = tr.checkpoint();
            if ck.check_finite("").is_err() {
                pb.abandon();
                let what = "the weights became NaN or Inf";
                return Err(train::diverged(what, tr.step, a.lr, &ckpt_path, saved));
            }
            ck.metadata
                .insert(CLASS_NAMES_KEY.into(), serde_json::to_string(&names)?);
            let bytes = ck.to_bytes()?;
            crate::checkpoint::write_atomic(&ckpt_path, &bytes)?;
            if a.keep_checkpoints > 0 {
                train::run_folder::keep_numbered(&out, tr.step, &bytes, a.keep_checkpoints)?;
            }
            saved = Some(tr.step);
            save_chart(&out, &curve, quality.as_ref().map_or(&[], |q| &q.points))?;
        }
        if !last && a.sample_every > 0 && tr.step % a.sample_every == 0 {
            write_samples(
                &gpu,
                &tr,
                &out.join(format!("samples_{:06}.png", tr.step)),
                a.samples,
                variance,
                grid_choice,
                &names,
                false,
            )?;
        }
        if stop {
            pb.abandon_with_message(format!(
                "interrupted at step {}; checkpoint written",
                tr.step
            ));
            println!(
                "interrupted: checkpoint {} (resume with --resume)",
                ckpt_path.display()
            );
            return Ok(());
        }
    }
    pb.finish();
    interrupt::all_saved();
    let grid = out.join("samples.png");
    write_samples(
        &gpu,
        &tr,
        &grid,
        a.samples,
        variance,
        grid_choice,
        &names,
        true,
    )?;
    println!(
        "done: {} steps in {:.1}s | checkpoint {} | samples {} | loss curve {} | metrics {}",
        tr.step,
        start.elapsed().as_secs_f64(),
        ckpt_path.display(),
        grid.display(),
        out.join("loss.png").display(),
        out.join("metrics.csv").display()
    );
    Ok(())
}
