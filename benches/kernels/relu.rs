use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::kernels::relu::{relu, relu_backward};

pub fn bench(b: &Bencher) {
    // The largest ReLU of the seed U-Net: 64 channels at 28x28.
    super::activation_support::bench(b, "relu", (relu, relu_backward), 64, 28);
}
