//! A `.safetensors` checkpoint's bytes through everything `sample`, `eval` and
//! `train --resume` check before the GPU: parse, finite weights, the network (metadata or
//! tensor shapes), its size and tensors, the schedule, the resume step; and as a quality
//! classifier file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wgpu_ddpm::checkpoint::Checkpoint;
use wgpu_ddpm::commands::{checked_network, class_names, schedule_of};
use wgpu_ddpm::quality::classifier::Classifier;
use wgpu_ddpm::train::resume;

fuzz_target!(|data: &[u8]| {
    let path = "fuzz.safetensors";
    if let Ok(ck) = Checkpoint::from_bytes(data, path) {
        let _ = ck.check_finite(path);
        let _ = resume::step(&ck);
        let _ = Classifier::checked_config(&ck, path);
    }
    if let Ok((ck, cfg)) = checked_network(data, path, 28) {
        let _ = schedule_of(&ck, "linear", 1000);
        let _ = class_names(&ck, cfg.num_classes);
    }
});
