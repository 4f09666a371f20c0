//! The checks a network's `validate` makes of its configuration. Each message names the
//! network and says what it needs, so a user knows which flag to change.

use anyhow::{bail, Result};

use super::NetConfig;

/// `ok`: `channels` holds what the network reads; `takes` says what that is (e.g. "three
/// widths (e.g. 16,32,64)").
pub(super) fn widths(cfg: &NetConfig, ok: bool, takes: &str) -> Result<()> {
    if !ok {
        bail!("{} takes {takes}, got {:?}", cfg.net.name(), cfg.channels);
    }
    Ok(())
}

/// The image side must be a positive multiple of `m`; `why` is the network's reason (what
/// halves it), and the message suggests the nearest size that works.
pub(super) fn image_multiple(cfg: &NetConfig, m: usize, why: &str) -> Result<()> {
    let s = cfg.image_size;
    if s == 0 || !s.is_multiple_of(m) {
        bail!(
            "{} {why}: the image size {s} must be a multiple of {m}, e.g. {}",
            cfg.net.name(),
            (s / m).max(1) * m
        );
    }
    Ok(())
}

/// A sinusoidal encoding of sin and cos halves needs an even D of at least `min`; `why`
/// says where the minimum comes from.
pub(super) fn even_temb(cfg: &NetConfig, min: usize, why: &str) -> Result<()> {
    let d = cfg.temb_dim;
    if d < min || !d.is_multiple_of(2) {
        bail!(
            "{}'s time encoding needs an even D >= {min} ({why}), got {d}",
            cfg.net.name()
        );
    }
    Ok(())
}

/// For networks ported without a label input: `why` says why there is none.
pub(super) fn unconditional(cfg: &NetConfig, why: &str) -> Result<()> {
    if cfg.num_classes > 0 {
        bail!("{} {why}; train it without --cond", cfg.net.name());
    }
    Ok(())
}
