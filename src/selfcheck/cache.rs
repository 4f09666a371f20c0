//! The verdict of the self-check, kept per adapter, driver, crate version and conv path in a
//! small JSON file in the user's cache folder. A file that cannot be read or parsed, or that
//! holds another key (a hash collision), counts as absent: the check simply runs again.

use std::path::PathBuf;

use crate::gpu::Gpu;

/// Environment variable that moves the cache folder (tests point it at a temporary one).
pub const CACHE_DIR_ENV: &str = "WGPU_DDPM_CACHE_DIR";

/// `$WGPU_DDPM_CACHE_DIR`, else `$XDG_CACHE_HOME/wgpu-ddpm`, else `~/.cache/wgpu-ddpm`;
/// `None` when none of them is set.
pub fn dir() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var(CACHE_DIR_ENV)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("wgpu-ddpm")))
        .or_else(|| var("HOME").map(|h| h.join(".cache").join("wgpu-ddpm")))
}

/// Everything a verdict depends on: the adapter and its driver, this build's kernels and the
/// conv path they were composed with.
pub fn key(gpu: &Gpu) -> String {
    let i = &gpu.info;
    format!(
        "{} | {:?} | vendor {:#x} device {:#x} | driver {} {} | wgpu-ddpm {} | conv path {:?}",
        i.name,
        i.backend,
        i.vendor,
        i.device,
        i.driver,
        i.driver_info,
        env!("CARGO_PKG_VERSION"),
        gpu.spread
    )
}

/// FNV-1a: a file name that stays the same across Rust versions (std's hasher may not).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn file(dir: &std::path::Path, key: &str) -> PathBuf {
    dir.join(format!("self-check-{:016x}.json", fnv1a(key)))
}

/// A stored verdict: passed, or the failure message shown to the user.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub passed: bool,
    pub message: String,
}

/// The stored verdict for `key`, if any can be read.
pub fn load(key: &str) -> Option<Verdict> {
    let text = std::fs::read_to_string(file(&dir()?, key)).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    if v.get("key")?.as_str()? != key {
        return None;
    }
    Some(Verdict {
        passed: v.get("passed")?.as_bool()?,
        message: v.get("message")?.as_str()?.to_string(),
    })
}

/// Stores `verdict` for `key`: written to a temporary file and renamed, so a reader never
/// sees half a file. Failing to write only costs a re-run next time, so it is a warning.
pub fn store(key: &str, verdict: &Verdict, seconds: f64) {
    let Some(dir) = dir() else { return };
    let text = serde_json::json!({
        "key": key,
        "passed": verdict.passed,
        "message": verdict.message,
        "seconds": seconds,
    })
    .to_string();
    let path = file(&dir, key);
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&tmp, text))
        .and_then(|_| std::fs::rename(&tmp, &path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        eprintln!(
            "warning: could not store the self-check verdict in {}: {e} (it will run again next time)",
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vector() {
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
