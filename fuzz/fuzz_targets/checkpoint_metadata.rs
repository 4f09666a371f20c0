//! A checkpoint's string metadata (network JSON, schedule, T, step, training config, class
//! names, and a quality classifier's kind and sizes) on a real seed000 state_dict's tensors, so the fuzzer reaches the checks behind a
//! valid safetensors file: the input is the values, separated by 0x00.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wgpu_ddpm::checkpoint::Checkpoint;
use wgpu_ddpm::commands::{checked_config, class_names, schedule_of};
use wgpu_ddpm::model::network::NetConfig;
use wgpu_ddpm::quality::classifier::Classifier;
use wgpu_ddpm::train::{resume, TrainConfig};

const KEYS: [&str; 12] = [
    "network",
    "train_config",
    "schedule",
    "t_max",
    "step",
    "class_names",
    "format_version",
    "rng",
    "kind",
    "image_channels",
    "image_size",
    "classes",
];

fn base() -> &'static Checkpoint {
    static CK: OnceLock<Checkpoint> = OnceLock::new();
    CK.get_or_init(|| {
        let bytes = include_bytes!("../../tests/fixtures/torch_unet_tiny.safetensors");
        Checkpoint::from_bytes(bytes, "torch_unet_tiny.safetensors").unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let mut ck = base().clone();
    for (key, value) in KEYS.iter().zip(data.split(|b| *b == 0)) {
        if let Ok(v) = std::str::from_utf8(value) {
            if !v.is_empty() {
                ck.metadata.insert(key.to_string(), v.to_string());
            }
        }
    }
    let path = "fuzz.safetensors";
    let net = checked_config(&ck, path, 28);
    let _ = schedule_of(&ck, "linear", 1000);
    let _ = resume::step(&ck);
    let net = net.unwrap_or_else(|_| NetConfig::default());
    let _ = class_names(&ck, net.num_classes);
    let cfg = TrainConfig {
        steps: 10,
        ..TrainConfig::plain(net, 8)
    };
    let _ = resume::compare(&ck, &cfg, path);
    let _ = Classifier::checked_config(&ck, path);
});
