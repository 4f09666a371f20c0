//! `wgpu-ddpm`: the command line (docs/design.md section 6).

fn main() {
    // Mesa's Vulkan loader layers print a scary line when this is unset; compute needs no
    // display, so point it at the temp folder.
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    if let Err(e) = wgpu_ddpm::cli::run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
