//! Guards of the training loop: a non-finite loss stops the run with advice on what to
//! change and which checkpoint is kept.

use std::path::Path;

use anyhow::Result;

/// Stop on a non-finite loss. The weights are already poisoned; `saved` is the step of the
/// last checkpoint written to `checkpoint` by this run or resumed from (every checkpoint is
/// written only after the losses up to its step were read back and found finite, and its
/// weights checked).
pub fn check_finite(
    losses: &[(u64, f32)],
    lr: f32,
    checkpoint: &Path,
    saved: Option<u64>,
) -> Result<()> {
    match losses.iter().find(|p| !p.1.is_finite()) {
        Some((s, l)) => Err(diverged(
            &format!("the loss became {l}"),
            *s,
            lr,
            checkpoint,
            saved,
        )),
        None => Ok(()),
    }
}

/// The divergence error: what went non-finite at `step`, which checkpoint is kept (if any)
/// and what to try instead.
pub fn diverged(
    what: &str,
    step: u64,
    lr: f32,
    checkpoint: &Path,
    saved: Option<u64>,
) -> anyhow::Error {
    let kept = match saved {
        Some(at) => format!(
            "The last good checkpoint ({}, step {at}) is kept; resume from it",
            checkpoint.display()
        ),
        None => "No checkpoint was written before this; start again".to_string(),
    };
    anyhow::anyhow!(
        "{what} at step {step}: training diverged. {kept} with a lower learning rate (e.g. --lr {:.0e}) or with --grad-clip 1.0",
        (lr as f64 / 10.0).min(1e-3)
    )
}
