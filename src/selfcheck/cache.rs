//! The verdict of the self-check, kept per adapter, driver, crate version and conv path in a
//! small JSON file in the user's cache folder. A file that cannot be read or parsed, or that
//! holds another key (a hash collision), counts as absent: the check simply runs again.

use std::path::{Path, PathBuf};

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

/// Everything a verdict depends on: the adapter and its driver, this build's kernels (crate
/// version and a hash of every WGSL source, so a development build with changed shaders
/// checks again) and the conv path they were composed with.
pub fn key(gpu: &Gpu) -> String {
    let i = &gpu.info;
    let shaders = crate::shaders::SHADERS
        .iter()
        .fold(String::new(), |acc, s| acc + s.name + s.source);
    format!(
        "{} | {:?} | vendor {:#x} device {:#x} | driver {} {} | wgpu-ddpm {} shaders {:016x} | conv path {:?}",
        i.name,
        i.backend,
        i.vendor,
        i.device,
        i.driver,
        i.driver_info,
        env!("CARGO_PKG_VERSION"),
        fnv1a(&shaders),
        gpu.spread
    )
}

/// FNV-1a: a file name that stays the same across Rust versions (std's hasher may not).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn file(dir: &Path, key: &str) -> PathBuf {
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
    load_from(&dir()?, key)
}

/// The verdict for `key` stored in `dir`, if a file there can be read and holds it.
pub fn load_from(dir: &Path, key: &str) -> Option<Verdict> {
    let text = std::fs::read_to_string(file(dir, key)).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    if v.get("key")?.as_str()? != key {
        return None;
    }
    Some(Verdict {
        passed: v.get("passed")?.as_bool()?,
        message: v.get("message")?.as_str()?.to_string(),
    })
}

/// Stores `verdict` for `key`. Failing to write only costs a re-run next time, so it is a
/// warning.
pub fn store(key: &str, verdict: &Verdict, seconds: f64) {
    let Some(dir) = dir() else { return };
    if let Err(e) = store_in(&dir, key, verdict, seconds) {
        eprintln!(
            "warning: could not store the self-check verdict in {}: {e} (it will run again next time)",
            dir.display()
        );
    }
}

/// Stores `verdict` for `key` in `dir`: written to a temporary file and renamed, so a reader
/// never sees half a file.
pub fn store_in(dir: &Path, key: &str, verdict: &Verdict, seconds: f64) -> std::io::Result<()> {
    let text = serde_json::json!({
        "key": key,
        "passed": verdict.passed,
        "message": verdict.message,
        "seconds": seconds,
    })
    .to_string();
    let path = file(dir, key);
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&tmp, text))
        .and_then(|_| std::fs::rename(&tmp, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vector() {
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn a_stored_verdict_reads_back_and_a_damaged_one_counts_as_absent() {
        let dir = std::env::temp_dir().join(format!("wgpu-ddpm-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let failed = Verdict {
            passed: false,
            message: "conv2d: error 1e-2".into(),
        };
        assert_eq!(load_from(&dir, "k"), None);
        store_in(&dir, "k", &failed, 1.0).unwrap();
        assert_eq!(load_from(&dir, "k"), Some(failed));
        // A file holding another key (a collision of the file name) is not this key's verdict.
        std::fs::copy(file(&dir, "k"), file(&dir, "other")).unwrap();
        assert_eq!(load_from(&dir, "other"), None);
        std::fs::remove_file(file(&dir, "other")).unwrap();
        for garbage in ["", "{", "[1, 2]", "{\"key\": \"k\", \"passed\": \"yes\"}"] {
            std::fs::write(file(&dir, "k"), garbage).unwrap();
            assert_eq!(load_from(&dir, "k"), None, "{garbage}");
        }
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
