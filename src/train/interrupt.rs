//! Ctrl-C handling for the training loop.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Ctrl-C: the first press asks the loop to checkpoint and stop, the second exits at once.
pub fn counter() -> Arc<AtomicUsize> {
    static COUNT: std::sync::OnceLock<Arc<AtomicUsize>> = std::sync::OnceLock::new();
    COUNT
        .get_or_init(|| {
            let c = Arc::new(AtomicUsize::new(0));
            let c2 = c.clone();
            let _ = ctrlc::set_handler(move || {
                if c2.fetch_add(1, Ordering::SeqCst) >= 1 {
                    eprintln!("\nsecond Ctrl-C: exiting now");
                    std::process::exit(130);
                }
                eprintln!("\nCtrl-C: finishing this step, writing a checkpoint, then stopping (press again to exit at once)");
            });
            c
        })
        .clone()
}
