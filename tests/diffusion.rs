//! Schedules and sampler configuration (CPU only).

use wgpu_ddpm::diffusion::{SamplerConfig, SamplerKind, Schedule, ScheduleKind, Variance};

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

#[test]
fn linear_schedule_closed_form() {
    let s = Schedule::new(ScheduleKind::Linear, 1000).unwrap();
    assert_eq!(s.abar[0], 1.0);
    assert_eq!(s.beta.len(), 1001);
    assert!((s.beta[1] - 1e-4).abs() < 1e-15 && (s.beta[1000] - 0.02).abs() < 1e-15);
    // Published values, 5 significant digits.
    assert!(
        rel(s.abar[1000], 4.0358e-05) < 1e-4,
        "abar_1000 = {}",
        s.abar[1000]
    );
    assert!(
        rel(s.abar[500], 0.078587) < 1e-4,
        "abar_500 = {}",
        s.abar[500]
    );
    for t in 1..=1000 {
        assert!((s.alpha[t] - (1.0 - s.beta[t])).abs() < 1e-15);
        assert!((s.abar[t] - s.abar[t - 1] * s.alpha[t]).abs() < 1e-15);
    }
}

#[test]
fn cosine_schedule_closed_form() {
    let s = Schedule::new(ScheduleKind::Cosine, 1000).unwrap();
    assert!(
        rel(s.abar[500], 0.49384) < 1e-4,
        "abar_500 = {}",
        s.abar[500]
    );
    // Unclipped steps follow f(t)/f(0) exactly; the last beta is clipped to 0.999.
    let f = |t: f64| {
        (((t / 1000.0 + 0.008) / 1.008) * std::f64::consts::FRAC_PI_2)
            .cos()
            .powi(2)
    };
    assert!(rel(s.abar[250], f(250.0) / f(0.0)) < 1e-12);
    assert_eq!(s.beta[1000], 0.999);
    assert!(s.beta.iter().all(|b| *b <= 0.999));
}

#[test]
fn gpu_table_layout() {
    let s = Schedule::new(ScheduleKind::Linear, 10).unwrap();
    let tab = s.gpu_table();
    assert_eq!(tab.len(), 11 * 4);
    assert_eq!(&tab[0..4], &[0.0, 1.0, 1.0, 0.0]);
    assert_eq!(tab[4 * 7], s.beta[7] as f32);
    assert_eq!(tab[4 * 7 + 1], s.alpha[7] as f32);
    assert_eq!(tab[4 * 7 + 2], s.abar[7] as f32);
    assert_eq!(tab[4 * 7 + 3], (1.0 - s.abar[7]) as f32);
}

#[test]
fn bad_inputs_are_clear_errors() {
    for t in [0, 1] {
        let e = Schedule::new(ScheduleKind::Linear, t)
            .unwrap_err()
            .to_string();
        assert!(e.contains("T >= 2"), "{e}");
    }
    let ddim = |steps, eta| SamplerConfig {
        kind: SamplerKind::Ddim { steps, eta },
        clip_x0: false,
        seed: 0,
        prediction: Default::default(),
    };
    let e = ddim(0, 0.0).validate(1000).unwrap_err().to_string();
    assert!(e.contains("DDIM steps"), "{e}");
    let e = ddim(1001, 0.0).validate(1000).unwrap_err().to_string();
    assert!(e.contains("1..=1000"), "{e}");
    for eta in [-0.1, 1.5, f32::NAN] {
        let e = ddim(50, eta).validate(1000).unwrap_err().to_string();
        assert!(e.contains("eta"), "{e}");
    }
    assert!(ddim(1000, 1.0).validate(1000).is_ok());
}

#[test]
fn timestep_sequences() {
    let ddpm = SamplerConfig {
        kind: SamplerKind::Ddpm {
            variance: Variance::Small,
        },
        clip_x0: false,
        seed: 0,
        prediction: Default::default(),
    };
    let ts = ddpm.timesteps(5).unwrap();
    assert_eq!(ts, vec![5, 4, 3, 2, 1, 0]);
    let ddim = |steps| SamplerConfig {
        kind: SamplerKind::Ddim { steps, eta: 0.0 },
        clip_x0: false,
        seed: 0,
        prediction: Default::default(),
    };
    assert_eq!(ddim(5).timesteps(5).unwrap(), ts);
    assert_eq!(ddim(4).timesteps(10).unwrap(), vec![10, 8, 5, 3, 0]);
    let ts = ddim(50).timesteps(1000).unwrap();
    assert_eq!(ts.len(), 51);
    assert_eq!((ts[0], ts[49], ts[50]), (1000, 20, 0));
    for steps in [1, 3, 7, 333, 999] {
        let ts = ddim(steps).timesteps(1000).unwrap();
        assert!(
            ts.windows(2).all(|w| w[0] > w[1]),
            "not decreasing for {steps}"
        );
        assert_eq!((ts[0], *ts.last().unwrap(), ts.len()), (1000, 0, steps + 1));
    }
}
