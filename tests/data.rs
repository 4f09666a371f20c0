//! Dataset loading: the built-in set, IDX files and images, and the errors for bad input.

use wgpu_ddpm::data::{self, builtin, idx, DataSpec, LoadOptions};

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("wgpu-ddpm-data-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn idx_images(n: u32, rows: u32, cols: u32, fill: u8) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for v in [n, rows, cols] {
        b.extend(v.to_be_bytes());
    }
    b.extend(std::iter::repeat_n(fill, (n * rows * cols) as usize));
    b
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 1];
    b.extend((labels.len() as u32).to_be_bytes());
    b.extend(labels);
    b
}

fn err_of(spec: &str, opt: &LoadOptions) -> String {
    format!(
        "{:#}",
        data::load(&DataSpec::parse(spec).unwrap(), opt).unwrap_err()
    )
}

#[test]
fn builtin_is_deterministic_in_range_and_has_all_classes() {
    let a = builtin::generate(28, 50, 4);
    let b = builtin::generate(28, 50, 4);
    assert_eq!(a.pixels, b.pixels);
    assert_ne!(a.pixels, builtin::generate(28, 50, 5).pixels);
    assert!(a.pixels.iter().all(|v| (-1.0..=1.0).contains(v)));
    let labels = a.labels.unwrap();
    for c in 0..builtin::CLASSES.len() as u32 {
        assert!(labels.contains(&c), "class {c} missing");
    }
    // Images are not blank: every image has ink and background.
    for i in 0..50 {
        let img = &a.pixels[i * 784..(i + 1) * 784];
        assert!(img.iter().any(|v| *v > 0.9) && img.iter().any(|v| *v < -0.9));
    }
}

#[test]
fn idx_gzip_and_raw_with_labels() {
    let d = dir("idx");
    let img = d.join("train-images-idx3-ubyte");
    std::fs::write(&img, idx_images(3, 8, 8, 255)).unwrap();
    std::fs::write(d.join("train-labels-idx1-ubyte"), idx_labels(&[1, 2, 0])).unwrap();
    let ds = data::load(
        &DataSpec::parse(img.to_str().unwrap()).unwrap(),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!((ds.len(), ds.c, ds.h, ds.w), (3, 1, 8, 8));
    assert!(ds.pixels.iter().all(|v| *v == 1.0));
    assert_eq!(ds.labels.unwrap(), vec![1, 2, 0]);
    // gzip
    let gz = d.join("g-images-idx3-ubyte.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &idx_images(2, 4, 4, 0)).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let ds = data::load(
        &DataSpec::parse(gz.to_str().unwrap()).unwrap(),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(ds.len(), 2);
    assert!(ds.pixels.iter().all(|v| *v == -1.0));
}

#[test]
fn idx_errors_are_clear() {
    let d = dir("idxbad");
    let p = d.join("bad-magic");
    let mut b = idx_images(1, 4, 4, 0);
    b[3] = 9;
    std::fs::write(&p, b).unwrap();
    let e = err_of(p.to_str().unwrap(), &LoadOptions::default());
    assert!(e.contains("magic number") && e.contains("bad-magic"), "{e}");

    let p = d.join("short");
    let b = idx_images(10, 4, 4, 0);
    std::fs::write(&p, &b[..60]).unwrap();
    let e = err_of(p.to_str().unwrap(), &LoadOptions::default());
    assert!(e.contains("truncated"), "{e}");

    let p = d.join("huge");
    let mut b = vec![0, 0, 8, 3];
    for v in [u32::MAX, u32::MAX, u32::MAX] {
        b.extend(v.to_be_bytes());
    }
    std::fs::write(&p, b).unwrap();
    let e = err_of(p.to_str().unwrap(), &LoadOptions::default());
    assert!(e.contains("implausibly large"), "{e}");

    let img = d.join("m-images-idx3-ubyte");
    std::fs::write(&img, idx_images(3, 4, 4, 0)).unwrap();
    let lab = d.join("m-labels");
    std::fs::write(&lab, idx_labels(&[1, 2])).unwrap();
    let opt = LoadOptions {
        labels: Some(lab.to_str().unwrap().into()),
        ..Default::default()
    };
    let e = err_of(img.to_str().unwrap(), &opt);
    assert!(e.contains("2 labels") && e.contains("3 images"), "{e}");

    let e = err_of(
        img.to_str().unwrap(),
        &LoadOptions {
            size: Some(6),
            ..Default::default()
        },
    );
    assert!(e.contains("multiple of 4"), "{e}");
}

#[test]
fn idx_parser_never_panics_on_garbage() {
    // A bounded, deterministic fuzz: random headers and truncations must give Err, not panic.
    let mut rng = wgpu_ddpm::util::host_rng::HostRng::new(9);
    for _ in 0..2000 {
        let len = rng.below(64) as usize;
        let mut b: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        if len >= 4 && rng.below(2) == 0 {
            b[..4].copy_from_slice(&[0, 0, 8, 3]);
        }
        let _ = idx::parse_images("fuzz", &b);
        let _ = idx::parse_labels("fuzz", &b);
    }
}

#[test]
fn image_folder_with_classes_and_bad_files() {
    let d = dir("folder");
    for (class, shade) in [("a", 0u8), ("b", 255u8)] {
        std::fs::create_dir_all(d.join(class)).unwrap();
        for i in 0..2 {
            image::GrayImage::from_pixel(10, 6, image::Luma([shade]))
                .save(d.join(class).join(format!("{i}.png")))
                .unwrap();
        }
    }
    let opt = LoadOptions {
        size: Some(8),
        channels: 3,
        ..Default::default()
    };
    let ds = data::load(&DataSpec::parse(d.to_str().unwrap()).unwrap(), &opt).unwrap();
    assert_eq!((ds.len(), ds.c, ds.h, ds.num_classes), (4, 3, 8, 2));
    assert_eq!(ds.labels.clone().unwrap(), vec![0, 0, 1, 1]);
    assert!(ds.image(0).iter().all(|v| *v == -1.0) && ds.image(3).iter().all(|v| *v == 1.0));

    std::fs::create_dir_all(d.join("c_empty")).unwrap();
    let e = format!(
        "{:#}",
        data::load(&DataSpec::parse(d.to_str().unwrap()).unwrap(), &opt).unwrap_err()
    );
    assert!(e.contains("c_empty") && e.contains("no PNG"), "{e}");
    std::fs::remove_dir(d.join("c_empty")).unwrap();

    std::fs::write(d.join("a").join("broken.png"), b"not a png").unwrap();
    let e = format!(
        "{:#}",
        data::load(&DataSpec::parse(d.to_str().unwrap()).unwrap(), &opt).unwrap_err()
    );
    assert!(e.contains("broken.png"), "{e}");
}

#[test]
fn missing_path_is_a_clear_error() {
    let e = format!("{:#}", DataSpec::parse("/no/such/file.idx").unwrap_err());
    assert!(
        e.contains("/no/such/file.idx") && e.contains("builtin"),
        "{e}"
    );
}

#[test]
fn large_sizes_are_refused_or_capped_before_decoding() {
    let d = dir("huge");
    image::GrayImage::from_pixel(4, 4, image::Luma([9]))
        .save(d.join("one.png"))
        .unwrap();
    // 200000x200000 gray is 160 GB: more than any machine's available memory.
    let opt = |size| LoadOptions {
        size: Some(size),
        ..Default::default()
    };
    let e = err_of(d.to_str().unwrap(), &opt(200_000));
    assert!(
        e.contains(d.to_str().unwrap()) && e.contains("smaller --image-size"),
        "{e}"
    );
    // A single image is repeated only as often as the built-in budget holds.
    let single = d.join("one.png");
    let ds = data::load(
        &DataSpec::parse(single.to_str().unwrap()).unwrap(),
        &opt(1024),
    )
    .unwrap();
    assert_eq!(ds.len(), data::BUILTIN_BUDGET_BYTES / (1024 * 1024 * 4));
    let ds = data::load(&DataSpec::Builtin, &opt(1024)).unwrap();
    assert_eq!(ds.len(), data::BUILTIN_BUDGET_BYTES / (1024 * 1024 * 4));
}

#[test]
fn idx_resized_beyond_memory_is_refused() {
    let d = dir("idxhuge");
    let p = d.join("t-images-idx3-ubyte");
    std::fs::write(&p, idx_images(3, 4, 4, 7)).unwrap();
    let opt = LoadOptions {
        size: Some(200_000),
        ..Default::default()
    };
    let e = err_of(p.to_str().unwrap(), &opt);
    assert!(
        e.contains(p.to_str().unwrap()) && e.contains("smaller --image-size"),
        "{e}"
    );
}

fn png(w: u32, h: u32, shade: u8) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::GrayImage::from_pixel(w, h, image::Luma([shade]))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

fn dropped_err(files: &[(String, Vec<u8>)]) -> String {
    format!(
        "{:#}",
        data::dropped::load("the drop", files, 8, 1).unwrap_err()
    )
}

/// Dropped images decode as `--data FOLDER` decodes the same files, whatever their sizes,
/// and what was skipped or resized is said.
#[test]
fn dropped_images_match_the_folder_loader_and_say_what_changed() {
    let d = dir("dropped");
    let files: Vec<(String, Vec<u8>)> = vec![
        ("b.png".into(), png(10, 6, 255)),
        ("a.png".into(), png(12, 12, 0)),
        ("notes.txt".into(), b"hello".to_vec()),
    ];
    for (name, bytes) in &files {
        std::fs::write(d.join(name), bytes).unwrap();
    }
    for channels in [1, 3] {
        let (ds, notes) = data::dropped::load("the folder 'x'", &files, 8, channels).unwrap();
        let opt = LoadOptions {
            size: Some(8),
            channels,
            ..Default::default()
        };
        let native = data::load(&DataSpec::parse(d.to_str().unwrap()).unwrap(), &opt).unwrap();
        assert_eq!((ds.len(), ds.c, ds.h, ds.w), (2, channels, 8, 8));
        assert_eq!(ds.pixels, native.pixels, "sorted by name, decoded alike");
        let notes = notes.join("\n");
        assert!(
            notes.contains("notes.txt") && notes.contains("convert"),
            "{notes}"
        );
        assert!(
            notes.contains("2 different sizes") && notes.contains("a.png 12x12"),
            "{notes}"
        );
    }
    let (_, notes) = data::dropped::load("z", &files[..1], 8, 1).unwrap();
    assert_eq!(notes, ["resized from 10x6 to 8x8"]);
}

#[test]
fn a_dropped_idx_file_raw_or_gzip_decodes_as_the_cli_does() {
    use std::io::Write;
    let raw = idx_images(3, 4, 4, 255);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    let gz = gz.finish().unwrap();
    let want = idx::decode("x", raw.clone(), None, Some(8)).unwrap();
    for (name, bytes) in [("train-images-idx3-ubyte", raw), ("t.gz", gz)] {
        let files = vec![
            (name.to_string(), bytes),
            ("labels".to_string(), idx_labels(&[1, 2, 3])),
        ];
        let (ds, notes) = data::dropped::load("the drop", &files, 8, 1).unwrap();
        assert_eq!((ds.len(), ds.h, &ds.pixels), (3, 8, &want.pixels));
        assert!(notes[0].contains("label file"), "{notes:?}");
    }
}

#[test]
fn dropped_files_that_hold_no_data_are_named() {
    let e = dropped_err(&[]);
    assert!(e.contains("the drop is empty") && e.contains("IDX"), "{e}");
    let e = dropped_err(&[("cat.gif".into(), b"GIF89a".to_vec())]);
    assert!(e.contains("no PNG or JPEG") && e.contains("cat.gif"), "{e}");
    let e = dropped_err(&[("a.png".into(), b"not a png".to_vec())]);
    assert!(e.contains("'a.png'") && e.contains("convert"), "{e}");
    let two = [
        ("a".into(), idx_images(1, 4, 4, 0)),
        ("b".into(), idx_images(1, 4, 4, 0)),
    ];
    assert!(dropped_err(&two).contains("one at a time"));
    let mixed = [
        ("a.png".into(), png(4, 4, 0)),
        ("b".into(), idx_images(1, 4, 4, 0)),
    ];
    assert!(dropped_err(&mixed).contains("not both"));
}
