#!/usr/bin/env bash
# Builds the GPU check bundle on a machine with the Rust toolchain (no GPU needed): the release
# binary, the kernel and golden test binaries (`cargo test --release --no-run`), the kernel and
# train-step bench binaries (`cargo bench --no-run`), stripped, with the test fixtures, the
# PyTorch peer script and run.sh, in one folder that must fit in 60 MiB.
#
#   scripts/gpu_check/build.sh [OUT]        (default OUT: target/gpu_check)
#
# Copy OUT to the GPU machine and run OUT/run.sh there (see docs/gpu_check.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/target/gpu_check}
limit_mib=60
cd "$root"

# The test or bench executables cargo built, from its JSON messages: "name path" per line
# (not the CLI binary that the tests also build).
executables() {
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    kinds = m.get("target", {}).get("kind", [])
    if m.get("reason") == "compiler-artifact" and m.get("executable") and set(kinds) & {"test", "bench"}:
        print(m["target"]["name"], m["executable"])
'
}

rm -rf "$out"
mkdir -p "$out/bin" "$out/tests" "$out/benches/peer"
nice -n 10 cargo build --release --bin wgpu-ddpm
cp target/release/wgpu-ddpm "$out/bin/wgpu-ddpm"
nice -n 10 cargo test --release --no-run --test kernels --test golden --message-format=json \
    | executables | while read -r name path; do cp "$path" "$out/bin/test-$name"; done
nice -n 10 cargo bench --no-run --bench kernels --bench train_step --message-format=json \
    | executables | while read -r name path; do cp "$path" "$out/bin/bench-$name"; done
for f in test-kernels test-golden bench-kernels bench-train_step; do
    [ -x "$out/bin/$f" ] || { echo "build.sh: cargo did not report $f" >&2; exit 1; }
done
strip "$out"/bin/*
cp -r tests/fixtures "$out/tests/fixtures"
cp benches/peer/torch_unet.py "$out/benches/peer/"
cp scripts/gpu_check/run.sh "$out/run.sh"
git log -1 --format='commit %H (%cd)' > "$out/BUILD_INFO" 2>/dev/null || echo "commit unknown" > "$out/BUILD_INFO"
rustc --version >> "$out/BUILD_INFO"

size_kib=$(du -sk "$out" | cut -f1)
echo "bundle: $out, $((size_kib / 1024)) MiB"
du -k "$out"/bin/* "$out/tests/fixtures" | sort -rn
if [ "$size_kib" -gt $((limit_mib * 1024)) ]; then
    echo "build.sh: the bundle is $(( (size_kib - limit_mib * 1024) / 1024 + 1 )) MiB over the ${limit_mib} MiB limit (largest first above)" >&2
    exit 1
fi
