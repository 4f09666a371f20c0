//! Checkpoint format: bit-exact round trips, the PyTorch-name loader, and clear errors.

use wgpu_ddpm::checkpoint::Checkpoint;
use wgpu_ddpm::gpu::Gpu;
use wgpu_ddpm::model::checkpoint_io::config_of;
use wgpu_ddpm::model::network::{Model, NetConfig};

#[path = "common/tiny_net.rs"]
mod tiny_net;
use tiny_net::tiny_net;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/torch_unet_tiny.safetensors"
);

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("wgpu-ddpm-ck-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join("ck.safetensors")
}

#[test]
fn checkpoint_round_trips_bit_exactly() {
    let gpu = Gpu::new().unwrap();
    let cfg = tiny_net(0);
    let net = Model::new(&gpu, &cfg, 7).unwrap();
    let ck = net.to_checkpoint(&gpu, 42, true);
    let path = tmp("rt");
    ck.save(&path).unwrap();
    let back = Checkpoint::load(&path).unwrap();
    assert_eq!(back, ck);
    let net2 = Model::new(&gpu, &cfg, 99).unwrap();
    net2.load_checkpoint(&gpu, &back, true).unwrap();
    assert_eq!(net2.to_checkpoint(&gpu, 42, true), ck);
}

#[test]
fn pytorch_state_dict_fixture_loads() {
    let gpu = Gpu::new().unwrap();
    let ck = Checkpoint::load(std::path::Path::new(FIXTURE)).unwrap();
    assert!(
        ck.metadata.is_empty(),
        "the fixture mimics torch's save_file: no metadata"
    );
    let cfg = config_of(&ck, 8).unwrap();
    assert_eq!(cfg, tiny_net(0));
    assert_eq!(ck.counters["down1.convs.1.num_batches_tracked"], 1234);
    let net = Model::new(&gpu, &cfg, 0).unwrap();
    net.load_checkpoint(&gpu, &ck, false).unwrap();
    let ours = net.to_checkpoint(&gpu, 0, false);
    // Every tensor arrives unchanged under its PyTorch name (values: see the script).
    for (name, t) in &ck.tensors {
        assert_eq!(&ours.tensors[name], t, "{name}");
    }
    let (shape, w) = &ours.tensors["up2.convs.0.weight"];
    assert_eq!(shape, &vec![6, 14, 3, 3]);
    assert!(w.iter().any(|v| *v != 0.0));
}

#[test]
fn truncated_checkpoint_is_a_clear_error() {
    let bytes = std::fs::read(FIXTURE).unwrap();
    let path = tmp("trunc");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = format!("{:#}", Checkpoint::load(&path).unwrap_err());
    assert!(err.contains("truncated or corrupt"), "{err}");
}

#[test]
fn mismatched_network_names_tensor_and_shapes() {
    let gpu = Gpu::new().unwrap();
    let ck = Checkpoint::load(std::path::Path::new(FIXTURE)).unwrap();
    let other = NetConfig {
        channels: vec![4, 6, 10],
        ..tiny_net(0)
    };
    let net = Model::new(&gpu, &other, 0).unwrap();
    let err = format!("{:#}", net.load_checkpoint(&gpu, &ck, false).unwrap_err());
    assert!(
        err.contains("bot1.") && err.contains("[8") && err.contains("[10"),
        "{err}"
    );
}

#[test]
fn unknown_and_missing_tensors_are_errors() {
    let gpu = Gpu::new().unwrap();
    let mut ck = Checkpoint::load(std::path::Path::new(FIXTURE)).unwrap();
    let cfg = config_of(&ck, 8).unwrap();
    let net = Model::new(&gpu, &cfg, 0).unwrap();
    ck.insert("extra.weight", &[1], vec![0.0]);
    let err = format!("{:#}", net.load_checkpoint(&gpu, &ck, false).unwrap_err());
    assert!(
        err.contains("extra.weight") && err.contains("unknown"),
        "{err}"
    );
    ck.tensors.remove("extra.weight");
    ck.tensors.remove("out.bias");
    let err = format!("{:#}", net.load_checkpoint(&gpu, &ck, false).unwrap_err());
    assert!(err.contains("out.bias"), "{err}");
}

#[test]
fn failed_write_leaves_previous_checkpoint_intact() {
    let path = tmp("atomic");
    let mut ck = Checkpoint::default();
    ck.insert("a", &[2], vec![1.0, 2.0]);
    ck.save(&path).unwrap();
    // Writing into a folder that is a file fails; the old checkpoint must stay readable.
    let bad = path.join("child.safetensors");
    assert!(ck.save(&bad).is_err());
    assert_eq!(Checkpoint::load(&path).unwrap(), ck);
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[test]
fn checkpoint_parser_never_panics_on_corruption() {
    // Bounded deterministic fuzz: truncations, byte flips and forged header sizes of a real
    // checkpoint must give an Err (or a valid checkpoint), never a panic or a huge allocation.
    let good = std::fs::read(FIXTURE).unwrap();
    let mut rng = wgpu_ddpm::util::host_rng::HostRng::new(77);
    for i in 0..3000 {
        let mut b = good.clone();
        match i % 3 {
            0 => b.truncate(rng.below(good.len() as u64) as usize),
            1 => {
                for _ in 0..1 + rng.below(8) {
                    let k = rng.below(b.len() as u64) as usize;
                    b[k] = rng.below(256) as u8;
                }
            }
            _ => {
                let forged = rng.next_u64() >> rng.below(64);
                b[..8].copy_from_slice(&forged.to_le_bytes());
            }
        }
        let _ = Checkpoint::from_bytes(&b, "fuzz");
    }
}
