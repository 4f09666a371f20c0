//! Ctrl-C handling for the training loop.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Set once nothing unsaved is left (the final checkpoint is written): Ctrl-C then exits at
/// once instead of waiting for the loop.
static SAVED: AtomicBool = AtomicBool::new(false);

/// From now on a Ctrl-C exits at once (status 130): everything is already on disk.
pub fn all_saved() {
    SAVED.store(true, Ordering::SeqCst);
}

/// Ctrl-C: the first press asks the loop to checkpoint and stop, the second exits at once.
pub fn counter() -> Arc<AtomicUsize> {
    static COUNT: std::sync::OnceLock<Arc<AtomicUsize>> = std::sync::OnceLock::new();
    COUNT
        .get_or_init(|| {
            let c = Arc::new(AtomicUsize::new(0));
            let c2 = c.clone();
            let _ = ctrlc::set_handler(move || {
                if SAVED.load(Ordering::SeqCst) {
                    eprintln!("\nCtrl-C: the checkpoint is already written; stopping now");
                    exit_now();
                }
                if c2.fetch_add(1, Ordering::SeqCst) >= 1 {
                    eprintln!("\nsecond Ctrl-C: exiting now");
                    exit_now();
                }
                eprintln!("\nCtrl-C: finishing this step, writing a checkpoint, then stopping (press again to exit at once)");
            });
            c
        })
        .clone()
}

/// Status 130 without running the process's exit handlers: the main thread may still be
/// inside the Vulkan driver (drawing the final grid), and `exit` would run the driver's
/// destructors under it (measured: a segfault, status 139, in 3 of 4 runs on lavapipe).
fn exit_now() -> ! {
    #[cfg(unix)]
    // SAFETY: _exit ends the process at once; it touches no Rust state.
    unsafe {
        libc::_exit(130)
    }
    #[cfg(not(unix))]
    std::process::exit(130)
}
