//! A run folder's config.json, as `train --resume` reads it for its history of changes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wgpu_ddpm::train::run_folder::resume_history;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = resume_history(text);
    }
});
