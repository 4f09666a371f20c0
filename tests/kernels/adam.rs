use wgpu_ddpm::kernels::adam::*;

use crate::common::tol::{assert_within, Tracked, U};
use crate::common::*;

/// The shader's update of one element, tracked (`Tracked`): hyper = (lr, b1, b2, eps, wd,
/// bc1, bc2) as the kernel holds them, `one` = 1.
fn adam_tracked(h: [Tracked; 7], p: &mut Tracked, g: Tracked, m: &mut Tracked, v: &mut Tracked) {
    let [lr, b1, b2, eps, wd, bc1, bc2] = h;
    let one = Tracked::exact(1.0);
    let step = lr.div(bc1);
    let sbc2 = bc2.sqrt();
    let decay = one.sub(lr.mul(wd));
    let w = p.mul(decay);
    *m = b1.mul(*m).add(one.sub(b1).mul(g));
    *v = b2.mul(*v).add(one.sub(b2).mul(g.mul(g)));
    let denom = v.sqrt().div(sbc2).add(eps);
    *p = w.sub(step.mul(m.div(denom)));
}

/// The hyper-parameters of `adam_hyper(c, step)` against the exact values: lr, betas, eps
/// and wd are decimals in `exact`; bc1 and bc2 are 1 - beta^step of those.
fn hyper_tracked(c: &AdamConfig, step: u64, exact: [f64; 5]) -> [Tracked; 7] {
    let h = adam_hyper(c, step);
    let bc = |b: f64| 1.0 - b.powi(step as i32);
    let held = [0, 1, 2, 3, 4].map(|i| Tracked::held(h[i], exact[i]));
    let [lr, b1, b2, eps, wd] = held;
    let bc1 = Tracked::held(h[5], bc(exact[1]));
    let bc2 = Tracked::held(h[6], bc(exact[2]));
    [lr, b1, b2, eps, wd, bc1, bc2]
}

const P0: [f32; 5] = [0.5, -1.0, 2.0, 0.25, -3.0];
const GRADS: [[f32; 5]; 3] = [
    [0.1, -0.2, 0.3, 0.0, -1.5],
    [0.05, 0.4, -0.3, 0.0, -1.0],
    [-0.2, 0.1, 0.3, 0.0, 2.0],
];

// Parameters after steps 1, 2, 3 of Adam(lr = 0.01, betas (0.9, 0.999), eps 1e-8) from P0 with
// GRADS, by hand in f64 (python3, textbook formulas:
//   p -= lr*wd*p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m/bc1) / (sqrt(v/bc2) + eps)).
const ADAM: [[f64; 5]; 3] = [
    [
        0.4900000009999999,
        -0.9900000004999999,
        1.9900000003333334,
        0.25,
        -2.990000000066667,
    ],
    [
        0.4806782057911871,
        -0.9936610356546036,
        1.990526316105263,
        0.25,
        -2.980296478861832,
    ],
    [
        0.48274177590722467,
        -0.9978175474963834,
        1.9871683826378583,
        0.25,
        -2.980023538530266,
    ],
];
// The same with decoupled weight decay 0.1 (AdamW).
const ADAMW: [[f64; 5]; 3] = [
    [
        0.4895000009999999,
        -0.9890000004999999,
        1.9880000003333334,
        0.24975,
        -2.9870000000666668,
    ],
    [
        0.4796887057901871,
        -0.9916720356541037,
        1.9865383161049297,
        0.24950025,
        -2.974309478861765,
    ],
    [
        0.4812725872004345,
        -0.9948368754602294,
        1.98119384432142,
        0.24925074975,
        -2.9710622290513373,
    ],
];

fn cfg(weight_decay: f32) -> AdamConfig {
    AdamConfig {
        lr: 0.01,
        weight_decay,
        ..AdamConfig::default()
    }
}

#[test]
fn adam_default_is_pytorch() {
    let c = AdamConfig::default();
    assert_eq!(
        (c.lr, c.beta1, c.beta2, c.eps, c.weight_decay),
        (1e-3, 0.9, 0.999, 1e-8, 0.0)
    );
    let h = adam_hyper(&c, 2);
    assert_eq!(h[..5], [1e-3, 0.9, 0.999, 1e-8, 0.0]);
    assert!(h[5] == 0.19 && h[6] == 0.001999 && h[7] == 0.0, "{h:?}");
}

#[test]
fn adam_matches_hand_computed_steps() {
    let gpu = gpu();
    for (wd, want) in [(0.0, ADAM), (0.1, ADAMW)] {
        let c = cfg(wd);
        let n = P0.len();
        let (pg, gg, mg, vg, hg) = (
            upload(&gpu, &P0, &[n]),
            gpu.zeros(&[n]),
            gpu.zeros(&[n]),
            gpu.zeros(&[n]),
            gpu.zeros(&[8]),
        );
        // One recorded dispatch reused for every step, as in training.
        let d = adam(&gpu, &pg, &gg, &mg, &vg, &hg);
        let mut prog = wgpu_ddpm::gpu::Program::new();
        prog.push(d);
        let (mut cp, mut cm, mut cv) = (P0.to_vec(), vec![0f32; n], vec![0f32; n]);
        let zero = Tracked::exact(0.0);
        let mut t: Vec<[Tracked; 3]> = P0
            .iter()
            .map(|p| [Tracked::exact(*p), zero, zero])
            .collect();
        for step in 0..3 {
            gpu.write(&gg, &GRADS[step]);
            gpu.write(&hg, &adam_hyper(&c, step as u64 + 1));
            prog.run(&gpu);
            adam_cpu(&c, step as u64 + 1, &mut cp, &GRADS[step], &mut cm, &mut cv);
            // The hand values are exact for the decimal hyper-parameters and gradients; the
            // kernel holds their f32 roundings, and its error from those and its own
            // operations is tracked. Adam_cpu's f32 arithmetic is correctly rounded, so
            // within the same bound.
            let h = hyper_tracked(&c, step as u64 + 1, [0.01, 0.9, 0.999, 1e-8, wd as f64]);
            for (i, [p, m, v]) in t.iter_mut().enumerate() {
                let g = GRADS[step][i];
                let g = Tracked::held(g, format!("{g}").parse::<f64>().unwrap());
                adam_tracked(h, p, g, m, v);
            }
            let bounds: Vec<f64> = t.iter().map(|[p, ..]| p.e + U * p.v.abs()).collect();
            let w: Vec<f32> = want[step].iter().map(|v| *v as f32).collect();
            let what = format!("wd={wd} step {}", step + 1);
            assert_within(&format!("adam {what}"), &gpu.read(&pg), &w, &bounds);
            assert_within(&format!("adam_cpu {what}"), &cp, &w, &bounds);
        }
    }
}

#[test]
fn adam_matches_cpu_on_odd_buffer() {
    let gpu = gpu();
    let mut rng = HostRng::new(61);
    let n = 10007;
    let c = AdamConfig {
        lr: 3e-3,
        weight_decay: 0.01,
        ..AdamConfig::default()
    };
    let mut p = rng.vec_normal(n);
    let mut m: Vec<f32> = rng.vec_normal(n).iter().map(|v| v * 0.1).collect();
    let mut v: Vec<f32> = rng.vec_uniform(n, 0.0, 0.01);
    let (pg, mg, vg) = (
        upload(&gpu, &p, &[n]),
        upload(&gpu, &m, &[n]),
        upload(&gpu, &v, &[n]),
    );
    let (gg, hg) = (gpu.zeros(&[n]), gpu.zeros(&[8]));
    let mut prog = wgpu_ddpm::gpu::Program::new();
    prog.push(adam(&gpu, &pg, &gg, &mg, &vg, &hg));
    let mut t: Vec<[Tracked; 3]> = (0..n)
        .map(|i| [p[i], m[i], v[i]].map(Tracked::exact))
        .collect();
    for step in [1u64, 2, 57] {
        let g = rng.vec_normal(n);
        gpu.write(&gg, &g);
        gpu.write(&hg, &adam_hyper(&c, step));
        prog.run(&gpu);
        adam_cpu(&c, step, &mut p, &g, &mut m, &mut v);
        // Both run the same f32 hyper-parameters (exact inputs here): each is within the
        // tracked bound of the exact result (adam_cpu with correctly rounded operations),
        // so they are within twice it of each other.
        let h = adam_hyper(&c, step).map(Tracked::exact);
        let h = [h[0], h[1], h[2], h[3], h[4], h[5], h[6]];
        for (i, [tp, tm, tv]) in t.iter_mut().enumerate() {
            adam_tracked(h, tp, Tracked::exact(g[i]), tm, tv);
        }
    }
    let twice = |k: usize| t.iter().map(|x| 2.0 * x[k].e).collect::<Vec<f64>>();
    assert_within("adam params", &gpu.read(&pg), &p, &twice(0));
    assert_within("adam m", &gpu.read(&mg), &m, &twice(1));
    assert_within("adam v", &gpu.read(&vg), &v, &twice(2));
}
