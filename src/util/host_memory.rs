//! The host's free memory, which both data loading and training check before they allocate.

/// Bytes of host memory available now (Linux `MemAvailable`); `None` where unknown.
pub fn available_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
