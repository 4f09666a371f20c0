//! What `train --resume` may change. The network, the schedule, T and the prediction target
//! fix what the checkpoint's weights mean, so a difference there is refused; seed, batch, optimiser and
//! regularisation settings may change, with a warning, and the changes go into config.json.

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::TrainConfig;
use crate::checkpoint::Checkpoint;

/// Keys whose change makes the checkpoint mean something else.
const FIXED: [&str; 4] = ["network", "schedule", "t_max", "prediction"];
/// Keys that may change on resume (the run is then no longer the uninterrupted one).
const WARN: [&str; 12] = [
    "seed",
    "batch",
    "lr",
    "weight_decay",
    "ema_decay",
    "label_dropout",
    "grad_clip",
    "lr_schedule",
    "grad_accum",
    "ema_warmup",
    "random_flip",
    "min_snr_gamma",
];

/// What a checkpoint written before a setting existed was trained with.
fn default_of(key: &str) -> Option<Value> {
    Some(match key {
        "lr_schedule" => super::LrSchedule::CONSTANT.to_json(0),
        "grad_accum" => Value::from(1),
        "ema_warmup" => Value::Null,
        "random_flip" => Value::Bool(false),
        "prediction" => Value::from("eps"),
        "min_snr_gamma" => Value::Null,
        _ => return None,
    })
}

/// Compare `cfg` with the training config stored in `ck` (from `path`). Refuses a changed
/// network, schedule or T, naming each difference; returns the other differences as
/// `{key: {"checkpoint": old, "now": new}}` (empty when nothing changed or the checkpoint
/// carries no training config).
pub fn compare(
    ck: &Checkpoint,
    cfg: &TrainConfig,
    path: &str,
) -> Result<serde_json::Map<String, Value>> {
    let mut changed = serde_json::Map::new();
    let Some(old) = ck
        .metadata
        .get("train_config")
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
    else {
        return Ok(changed);
    };
    let now = cfg.to_json();
    let mut old = old;
    for k in FIXED.iter().chain(&WARN) {
        if let (Some(map), Some(d)) = (old.as_object_mut(), default_of(k)) {
            map.entry(k.to_string()).or_insert(d);
        }
    }
    let differs = |k: &str| old.get(k).is_some_and(|o| Some(o) != now.get(k));
    let fixed: Vec<String> = FIXED
        .iter()
        .filter(|k| differs(k))
        .map(|k| format!("{k}: checkpoint {} vs now {}", old[*k], now[*k]))
        .collect();
    if !fixed.is_empty() {
        bail!(
            "cannot resume from '{path}': {}. These fix what the weights mean; pass the checkpoint's values (see its run's config.json) or start a new run with another --out",
            fixed.join("; ")
        );
    }
    for k in WARN.iter().filter(|k| differs(k)) {
        eprintln!(
            "warning: resuming with {k} {} (the checkpoint was trained with {}); the run will differ from an uninterrupted one, and config.json records the change",
            now[*k], old[*k]
        );
        changed.insert(
            k.to_string(),
            serde_json::json!({"checkpoint": old[*k], "now": now[*k]}),
        );
    }
    Ok(changed)
}

/// The step a training checkpoint was saved at, from its metadata.
pub fn step(ck: &Checkpoint) -> Result<u64> {
    ck.metadata
        .get("step")
        .and_then(|s| s.parse().ok())
        .context("checkpoint has no 'step' in its metadata; it is not a training checkpoint")
}
