//! Sample grids (scaled up, labelled) and the training chart; no GPU needed.

use wgpu_ddpm::pictures::chart::{log_ticks, save_training_chart, smooth, tick};
use wgpu_ddpm::pictures::{grid, upscale_factor, GridLabels};

#[test]
fn small_images_are_scaled_to_at_least_64_px() {
    assert_eq!(upscale_factor(28, 28), 3);
    assert_eq!(upscale_factor(8, 8), 8);
    assert_eq!(upscale_factor(64, 64), 1);
    assert_eq!(upscale_factor(100, 100), 1);
    // Two 8x8 images, one pixel bright: nearest neighbour repeats it over an 8x8 block.
    let mut a = vec![-1.0f32; 64];
    a[0] = 1.0;
    let img = grid(&[a, vec![-1.0; 64]], 1, 8, 8, 2, &GridLabels::default()).unwrap();
    assert_eq!(img.height(), 64 + 2 * 4);
    assert_eq!(img.width(), 2 * (64 + 4) + 4);
    assert_eq!(img.get_pixel(4 + 7, 4 + 7).0, [255, 255, 255]);
    assert_eq!(img.get_pixel(4 + 8, 4 + 8).0, [0, 0, 0]);
}

#[test]
fn labels_add_room_and_draw_text() {
    let imgs = vec![vec![-1.0f32; 16 * 16]; 4];
    let labels = GridLabels {
        title: Some("step 7".into()),
        rows: vec!["disc".into(), "ring".into()],
        cols: Vec::new(),
    };
    let plain = grid(&imgs, 1, 16, 16, 2, &GridLabels::default()).unwrap();
    let img = grid(&imgs, 1, 16, 16, 2, &labels).unwrap();
    assert!(img.width() > plain.width() && img.height() > plain.height());
    // The label column holds light text pixels on the dark background.
    let lit = (0..60)
        .flat_map(|x| (0..img.height()).map(move |y| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y).0[0] > 150)
        .count();
    assert!(lit > 20, "no row label text drawn ({lit} light pixels)");
}

#[test]
fn ticks_have_three_significant_digits() {
    assert_eq!(tick(0.0123456), "0.0123");
    assert_eq!(tick(0.5), "0.5");
    assert_eq!(tick(12.345), "12.3");
    assert_eq!(tick(1500.0), "1500");
}

#[test]
fn log_ticks_label_every_decade_of_the_range() {
    assert_eq!(log_ticks(0.02, 1.5), vec![0.02, 0.05, 0.1, 0.2, 0.5, 1.0]);
    // A narrow range gets the 1..9 multiples instead.
    let t = log_ticks(0.031, 0.065);
    assert_eq!(t.len(), 3, "{t:?}");
    assert!(
        (t[0] - 0.04).abs() < 1e-12 && (t[2] - 0.06).abs() < 1e-12,
        "{t:?}"
    );
}

#[test]
fn smoothing_keeps_length_and_flattens_noise() {
    let ys: Vec<f64> = (0..200)
        .map(|i| if i % 2 == 0 { 1.0 } else { 3.0 })
        .collect();
    let s = smooth(&ys);
    assert_eq!(s.len(), ys.len());
    assert!(
        s[100..110].iter().all(|v| (v - 2.0).abs() < 0.2),
        "{:?}",
        &s[100..110]
    );
}

#[test]
fn chart_has_one_or_two_panels() {
    let dir = std::env::temp_dir().join(format!("wgpu-ddpm-chart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let loss: Vec<(u64, f32)> = (1..=300).map(|s| (s, 1.0 / s as f32 + 0.02)).collect();
    let path = dir.join("loss.png");
    save_training_chart(&path, "run x", &loss, "q", &[]).unwrap();
    let img = image::open(&path).unwrap();
    assert_eq!((img.width(), img.height()), (800, 450));
    save_training_chart(&path, "run x", &loss, "q", &[(100, 50.0), (300, 20.0)]).unwrap();
    let img = image::open(&path).unwrap();
    assert_eq!((img.width(), img.height()), (800, 870));
    // Too few points still gives a chart that says so, not an error.
    save_training_chart(&path, "run x", &[], "q", &[]).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
