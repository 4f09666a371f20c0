use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::kernels::silu::{silu, silu_backward};

pub fn bench(b: &Bencher) {
    // The same tensor as the gelu group: 64 channels at 64x64.
    super::activation_support::bench(b, "silu", (silu, silu_backward), 64, 64);
}
