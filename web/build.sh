#!/usr/bin/env bash
# Build the page into web/dist: the wasm module (Debian's rustc-web with -Zbuild-std, as the
# rustup toolchains cannot build std for wasm32 from Debian's source) and wasm-bindgen's glue.
#   web/build.sh           # release build
#   web/build.sh --setup   # first install the toolchain: apt packages + wasm-bindgen-cli, then build
#   web/build.sh --tools-only  # only wasm-bindgen-cli (CI installs the apt packages itself)
# Tools and the wasm target dir live under $WEB_TOOLS (default ~/.cache/wgpu-ddpm-web).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
TOOLS=${WEB_TOOLS:-$HOME/.cache/wgpu-ddpm-web}
BINDGEN=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$here/Cargo.toml")
# Debian's cargo and rustc first: rustup's must not shadow them.
export PATH="$TOOLS/bin:/usr/sbin:/usr/bin:/sbin:/bin" CARGO_HOME="$TOOLS/cargo-home"
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="$TOOLS/target"
unset RUSTUP_TOOLCHAIN
if [ "${1:-}" = --setup ]; then
  apt-get install -y -qq --no-install-recommends rustc-web cargo-web rust-web-src \
    libstd-rust-web-dev rust-web-llvm lld-22 chromium
fi
if [ "${1:-}" = --setup ] || [ "${1:-}" = --tools-only ]; then
  # A debug build: 80 s on 2 cores instead of ~8 min for release, and it still processes the
  # page's module in about a second.
  if ! "$TOOLS/bin/wasm-bindgen" --version 2>/dev/null | grep -qF " $BINDGEN"; then
    cargo install --debug wasm-bindgen-cli --version "$BINDGEN" --root "$TOOLS"
  fi
  [ "$1" = --tools-only ] && exit 0
fi
for tool in /usr/bin/rustc "$TOOLS/bin/wasm-bindgen"; do
  [ -x "$tool" ] || { echo "error: $tool is missing: run web/build.sh --setup (as root, for apt)" >&2; exit 1; }
done
cd "$here"
cargo build --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort
rm -rf dist && mkdir -p dist && cp www/* dist/
wasm-bindgen --target web --no-typescript --out-dir dist/pkg \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/wgpu_ddpm_web.wasm"
echo "built $(du -h dist/pkg/wgpu_ddpm_web_bg.wasm | cut -f1) of wasm into $here/dist; serve it with web/serve.sh"
