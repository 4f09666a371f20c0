//! `--backend gl` (docs/gl_backend.md): a build without the `gles` feature says how to get it,
//! and no build picks a GL adapter unless asked.

#[path = "common/cli.rs"]
mod cli_common;
use cli_common::{bin, run};

#[test]
fn unknown_backend_lists_gl() {
    let (ok, text) = run(&["info", "--backend", "opengl3"]);
    assert!(
        !ok && text.contains("unknown backend 'opengl3'") && text.contains("dx12, gl"),
        "{text}"
    );
}

#[cfg(not(feature = "gles"))]
#[test]
fn backend_gl_without_the_feature_says_to_rebuild() {
    for args in [
        &["info", "--backend", "gl"][..],
        &["train", "--backend", "GL"],
    ] {
        let (ok, text) = run(args);
        assert!(
            !ok && text.contains("without OpenGL support") && text.contains("--features gles"),
            "{text}"
        );
    }
    let out = bin()
        .arg("info")
        .env("WGPU_DDPM_BACKEND", "gl")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && text.contains("--features gles"),
        "{text}"
    );
}

/// With GL compiled in, the default choice still comes from the primary backends.
#[cfg(feature = "gles")]
#[test]
fn default_choice_is_never_gl() {
    let out = bin()
        .arg("info")
        .env_remove("WGPU_DDPM_BACKEND")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let selected = text
        .lines()
        .find(|l| l.starts_with("selected:"))
        .unwrap_or("");
    assert!(!selected.is_empty() && !selected.contains("(Gl,"), "{text}");
}
