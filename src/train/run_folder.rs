//! The run folder's own files besides the latest checkpoint and metrics: the writability
//! check made before anything is written, config.json, and the rotating step-numbered
//! checkpoint copies.

use std::path::Path;

use anyhow::{Context, Result};

use super::TrainConfig;

/// Fail early, naming the folder, when the run folder cannot be written.
pub fn check_writable(out: &Path) -> Result<()> {
    let probe = out.join(format!(".write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").with_context(|| {
        format!(
            "the run folder {} is not writable: pass another --out, or make it writable",
            out.display()
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// config.json (written atomically): the training config, plus under
/// `changed_on_resume` each setting a resume changed, keyed by the step it changed at (kept
/// from the previous config.json).
pub fn write_config(
    out: &Path,
    cfg: &TrainConfig,
    step: u64,
    changed: serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    let path = out.join("config.json");
    let mut json = cfg.to_json();
    // A fresh run (step 0) starts a new history.
    let mut history = std::fs::read_to_string(&path)
        .ok()
        .filter(|_| step > 0)
        .map(|s| resume_history(&s))
        .unwrap_or_default();
    if !changed.is_empty() {
        history.insert(format!("step {step}"), changed.into());
    }
    if !history.is_empty() {
        json["changed_on_resume"] = history.into();
    }
    crate::checkpoint::write_atomic(&path, serde_json::to_string_pretty(&json)?.as_bytes())
}

/// The `changed_on_resume` history of a previous config.json's text (empty when the text is
/// not JSON or holds none).
pub fn resume_history(text: &str) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("changed_on_resume").cloned())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}

/// The file name of the step-numbered checkpoint copy of `step` (`--keep-checkpoints`).
pub fn numbered_checkpoint(step: u64) -> String {
    format!("checkpoint_{step:06}.safetensors")
}

/// The step of `name` when it is one of our numbered copies: exactly `checkpoint_`, six or
/// more digits and `.safetensors`; any other name is not ours to rotate.
pub fn numbered_step(name: &str) -> Option<u64> {
    let digits = name
        .strip_prefix("checkpoint_")?
        .strip_suffix(".safetensors")?;
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Of the file `names` in a run folder, the numbered copies to delete so that the newest
/// `keep` at or before `step` remain. Copies after `step` (left by an earlier run that went
/// further in the same folder) are not this run's and are kept.
pub fn rotation(names: &[String], step: u64, keep: usize) -> Vec<String> {
    let mut ours: Vec<(u64, &String)> = names
        .iter()
        .filter_map(|n| numbered_step(n).map(|s| (s, n)))
        .filter(|(s, _)| *s <= step)
        .collect();
    ours.sort();
    let extra = ours.len().saturating_sub(keep);
    ours[..extra].iter().map(|(_, n)| n.to_string()).collect()
}

/// `--keep-checkpoints keep`: write `bytes` (the checkpoint of `step`) as its numbered copy
/// in `out`, atomically, then delete the oldest copies beyond `keep`.
pub fn keep_numbered(out: &Path, step: u64, bytes: &[u8], keep: usize) -> Result<()> {
    crate::checkpoint::write_atomic(&out.join(numbered_checkpoint(step)), bytes)?;
    let names: Vec<String> = std::fs::read_dir(out)
        .with_context(|| format!("listing the run folder {}", out.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    for name in rotation(&names, step, keep) {
        std::fs::remove_file(out.join(&name))
            .with_context(|| format!("removing the old checkpoint copy {name}"))?;
    }
    Ok(())
}
