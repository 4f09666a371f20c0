//! `cargo bench --bench kernels [GROUP]`: every kernel at the seed U-Net's shapes.
//! One module per op; each has a `bench(&Bencher)` that checks `b.enabled("<op>")`.

use wgpu_ddpm::bench::Bencher;

mod diffusion;
mod relu;

fn main() {
    let b = Bencher::from_args();
    relu::bench(&b);
    diffusion::bench(&b);
}
