//! Regressions for the parsers of user files (the targets in `fuzz/` exercise them): each
//! test is an input that once panicked or allocated without bound, named after the bug.
//! Only the classifier test needs an adapter (it loads through `Classifier::load`, as
//! `quality` does).

use wgpu_ddpm::checkpoint::Checkpoint;
use wgpu_ddpm::commands::{checked_config, checked_network, schedule_of};

const TINY: &[u8] = include_bytes!("fixtures/torch_unet_tiny.safetensors");

fn err(r: anyhow::Result<impl std::fmt::Debug>) -> String {
    format!("{:#}", r.expect_err("expected an error"))
}

fn state_dict(tensors: &[(&str, &[usize])]) -> Checkpoint {
    let mut ck = Checkpoint::default();
    for (name, shape) in tensors {
        ck.insert(name, shape, vec![0.5; shape.iter().product()]);
    }
    ck
}

/// A network inferred from tensor shapes read `shape[i]` of a tensor that has fewer
/// dimensions (here a scalar where seed001's first conv weight belongs): index panic.
#[test]
fn config_of_scalar_weight_is_an_error_not_a_panic() {
    for name in ["stem.weight", "net.0.weight", "down1.convs.0.weight"] {
        let ck = state_dict(&[(name, &[])]);
        let e = err(checked_config(&ck, "x.safetensors", 28));
        assert!(e.contains(name) && e.contains("has shape []"), "{e}");
    }
}

/// seed001's width loop indexed `down_blocks.N.conv_in.weight`'s first dimension unchecked.
#[test]
fn config_of_scalar_seed001_stage_is_an_error_not_a_panic() {
    let ck = state_dict(&[
        ("stem.weight", &[4, 3, 3, 3]),
        ("down_blocks.0.conv_in.weight", &[]),
    ]);
    let e = err(checked_config(&ck, "x.safetensors", 48));
    assert!(e.contains("down_blocks.0.conv_in.weight"), "{e}");
}

/// seed004's latent size divided by the output channels of `down2.model.0.weight`, which a
/// crafted file may make 0: division by zero.
#[test]
fn config_of_seed004_zero_width_is_an_error_not_a_division_by_zero() {
    let ck = state_dict(&[
        ("down0.0.weight", &[4, 1, 3, 3]),
        ("down1.model.0.weight", &[8, 4, 3, 3]),
        ("down2.model.0.weight", &[0, 8, 3, 3]),
        ("dense_emb.0.weight", &[8, 16]),
    ]);
    let e = err(checked_config(&ck, "x.safetensors", 16));
    assert!(e.contains("down2.model.0.weight"), "{e}");
}

/// A label embedding stored as a scalar: its class count was read as `shape[0]`.
#[test]
fn config_of_scalar_label_embedding_is_an_error_not_a_panic() {
    let mut ck = Checkpoint::from_bytes(TINY, "tiny").unwrap();
    ck.insert("label_emb.weight", &[], vec![0.0]);
    let e = err(checked_config(&ck, "x.safetensors", 28));
    assert!(e.contains("label_emb.weight"), "{e}");
}

/// The metadata's network sized the layout (and, on a GPU, the buffers) before any tensor
/// was compared: widths near 2^40 overflowed the tensor sizes or asked for terabytes.
#[test]
fn metadata_network_far_too_large_is_refused_before_declaring_it() {
    let mut ck = Checkpoint::from_bytes(TINY, "tiny").unwrap();
    let w = 1u64 << 40;
    ck.metadata.insert(
        "network".into(),
        format!(r#"{{"image_channels":1,"image_size":28,"channels":[{w},{w},{w}],"temb_dim":8}}"#),
    );
    let e = err(checked_config(&ck, "x.safetensors", 28));
    assert!(e.contains("far larger than any this program builds"), "{e}");
    let mut ck = Checkpoint::from_bytes(TINY, "tiny").unwrap();
    ck.metadata.insert(
        "network".into(),
        r#"{"image_channels":1,"image_size":4000000000,"channels":[4,6,8],"temb_dim":8}"#.into(),
    );
    let e = err(checked_config(&ck, "x.safetensors", 28));
    assert!(e.contains("far larger"), "{e}");
}

/// `t_max` in the metadata sized the schedule's f64 tables: T = 2^30 allocated gigabytes.
#[test]
fn metadata_t_max_huge_is_refused_before_allocating_the_schedule() {
    let mut ck = Checkpoint::default();
    ck.metadata.insert("t_max".into(), (1u64 << 30).to_string());
    let e = err(schedule_of(&ck, "linear", 1000));
    assert!(e.contains("is too large"), "{e}");
    ck.metadata.insert("t_max".into(), "300".into());
    assert_eq!(schedule_of(&ck, "linear", 1000).unwrap().t_max, 300);
}

/// The whole bytes-to-network path accepts the PyTorch fixture and refuses a truncated copy.
#[test]
fn checked_network_accepts_the_fixture_and_refuses_truncation() {
    let (_, cfg) = checked_network(TINY, "tiny", 28).unwrap();
    assert_eq!(cfg.image_size, 28);
    let e = err(checked_network(&TINY[..TINY.len() - 7], "tiny", 28));
    assert!(e.contains("not a readable safetensors checkpoint"), "{e}");
}

/// The resize to the training size first makes a (width x size) image of four f32 per pixel:
/// a one-row PNG 2^21 pixels wide (a few kB) took 2 GiB at size 64, and one 2^27 wide
/// hundreds of gigabytes.
#[test]
fn image_far_wider_than_tall_is_refused_before_resizing() {
    use wgpu_ddpm::data::images;
    let mut png = Vec::new();
    image::GrayImage::new(1 << 21, 1)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let e = err(images::planes(&png, Some(image::ImageFormat::Png), 64, 1));
    assert!(
        e.contains("2097152x1") && e.contains("at most 512 MiB"),
        "{e}"
    );
    let mut png = Vec::new();
    image::GrayImage::new(40, 30)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let planes = images::planes(&png, Some(image::ImageFormat::Png), 8, 3).unwrap();
    assert_eq!(planes, vec![-1.0; 3 * 8 * 8]);
}

fn classifier_file(image_size: &str) -> Checkpoint {
    let mut ck = Checkpoint::default();
    for (k, v) in [
        ("kind", "quality-classifier"),
        ("image_channels", "1"),
        ("image_size", image_size),
        ("classes", "10"),
    ] {
        ck.metadata.insert(k.into(), v.into());
    }
    ck
}

/// A quality classifier file's metadata sized its layer on the host and the GPU before any
/// tensor was compared: image size 2^20 drew 2^47 random initial weights, 2^40 overflowed.
#[test]
fn classifier_metadata_far_too_large_is_refused_before_allocating() {
    use wgpu_ddpm::quality::classifier::Classifier;
    let e = err(Classifier::checked_config(
        &classifier_file(&(1u64 << 40).to_string()),
        "c.safetensors",
    ));
    assert!(e.contains("too large to build"), "{e}");
    let path = std::env::temp_dir().join(format!(
        "wgpu-ddpm-parsers-{}.safetensors",
        std::process::id()
    ));
    classifier_file(&(1u64 << 20).to_string())
        .save(&path)
        .unwrap();
    let gpu = wgpu_ddpm::gpu::Gpu::new().unwrap();
    let e = err(Classifier::load(&gpu, &path).map(|_| ()));
    std::fs::remove_file(&path).unwrap();
    assert!(e.contains("checkpoint has no tensor 'conv1.weight'"), "{e}");
}
