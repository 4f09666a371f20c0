use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::kernels::gelu::{gelu, gelu_backward};

pub fn bench(b: &Bencher) {
    // The seed-003 network's largest activation: 64 channels at 64x64.
    super::activation_support::bench(b, "gelu", (gelu, gelu_backward), 64, 64);
}
