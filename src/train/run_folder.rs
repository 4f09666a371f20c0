//! The run folder's own files besides checkpoints and metrics: the writability check made
//! before anything is written, and config.json.

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
