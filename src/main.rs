//! `wgpu-ddpm`: the command line (DESIGN section 6).

fn main() {
    if let Err(e) = wgpu_ddpm::cli::run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
