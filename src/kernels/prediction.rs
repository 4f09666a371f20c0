//! What the network's output means (`--prediction`): the noise eps (DDPM's choice), the clean
//! image x0, or the velocity v = sqrt(abar) eps - sqrt(1 - abar) x0 (Salimans & Ho 2022).
//! The kernels that read a model output (denoise, the samplers, the loss target) take
//! [`Prediction::code`] as a `u32` param; these CPU conversions are their reference.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Prediction {
    #[default]
    Eps,
    X0,
    V,
}

impl Prediction {
    pub const ALL: [Prediction; 3] = [Prediction::Eps, Prediction::X0, Prediction::V];

    /// The value the WGSL kernels switch on.
    pub const fn code(self) -> u32 {
        match self {
            Prediction::Eps => 0,
            Prediction::X0 => 1,
            Prediction::V => 2,
        }
    }

    /// The name used on the command line and in checkpoint metadata.
    pub const fn name(self) -> &'static str {
        match self {
            Prediction::Eps => "eps",
            Prediction::X0 => "x0",
            Prediction::V => "v",
        }
    }

    /// (x0, eps) implied by the model output `out` at x_t = `x` with abar_t = `abar`
    /// (f64, since these are the CPU references of f32 kernels).
    pub fn x0_eps(self, out: f64, x: f64, abar: f64) -> (f64, f64) {
        let (a, s) = (abar.sqrt(), (1.0 - abar).sqrt());
        match self {
            Prediction::Eps => ((x - s * out) / a, out),
            Prediction::X0 => (out, (x - a * out) / s),
            Prediction::V => (a * x - s * out, s * x + a * out),
        }
    }

    /// The training target for x_t = sqrt(abar) x0 + sqrt(1 - abar) eps.
    pub fn target(self, x0: f64, eps: f64, abar: f64) -> f64 {
        match self {
            Prediction::Eps => eps,
            Prediction::X0 => x0,
            Prediction::V => abar.sqrt() * eps - (1.0 - abar).sqrt() * x0,
        }
    }
}

impl fmt::Display for Prediction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Prediction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Prediction::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown prediction {s:?}: use eps, x0 or v"))
    }
}

#[cfg(test)]
mod tests {
    use super::Prediction;

    #[test]
    fn conversions_invert_the_target() {
        let (x0, eps) = (0.3, -1.2);
        for abar in [0.999f64, 0.5, 0.01] {
            let x = abar.sqrt() * x0 + (1.0 - abar).sqrt() * eps;
            for p in Prediction::ALL {
                let (gx0, geps) = p.x0_eps(p.target(x0, eps, abar), x, abar);
                assert!(
                    (gx0 - x0).abs() < 1e-12 && (geps - eps).abs() < 1e-12,
                    "{p} {abar}"
                );
                assert_eq!(p.name().parse::<Prediction>(), Ok(p));
            }
        }
        assert!("epsilon".parse::<Prediction>().is_err());
    }
}
