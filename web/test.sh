#!/usr/bin/env bash
# End to end in a real browser: build the page, open it in headless Chromium (WebGPU on
# SwiftShader), let its ?test=1 mode build every kernel under Tint, run the PyTorch golden of
# tests/golden.rs on the same fixtures, drop a small zip of PNGs and an IDX file on the page
# (synthetic drop events) and train a few steps on each, train a tiny seed000 on the built-in
# shapes, evaluate, and POST its checkpoint here; then check the loss fell, load the checkpoint
# with the native `wgpu-ddpm eval` and compare the two evals.
#   web/test.sh   (needs web/build.sh --setup once, or the apt packages and --tools-only as
#                  .ci/run does; env: WEB_TEST_STEPS, WEB_TEST_PORT, WGPU_DDPM_BIN,
#                  WEB_TEST_TIMEOUT)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
STEPS=${WEB_TEST_STEPS:-60}; PORT=${WEB_TEST_PORT:-8766}
SIZE=16 CHANNELS=8,16,32 BATCH=8 EVERY=${WEB_TEST_EVERY:-20} COUNT=64 EVAL_BATCH=16
"$here/build.sh"
# WGPU_DDPM_BIN: a native binary already built (else the debug one is built here).
bin=${WGPU_DDPM_BIN:-}
if [ -z "$bin" ]; then
  (cd "$root" && cargo build --bin wgpu-ddpm)
  bin="${CARGO_TARGET_DIR:-$root/target}/debug/wgpu-ddpm"
fi
work=$(mktemp -d); srv=; chr=
cleanup() { [ -n "$chr" ] && kill "$chr" 2>/dev/null && wait "$chr" 2>/dev/null; [ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# What the page fetches: the golden fixtures, an IDX file, and a zip made here of 12 PNG discs
# (20x20, one 24x24 to show the resize note), a text file and a macOS resource fork, which
# the page skips.
mkdir "$work/files"
GOLDEN=seed-unet,seed001,seed004
cp "$root"/tests/fixtures/{torch_unet_tiny,torch_unet_golden,golden_seed001,golden_seed004}.safetensors \
  "$root/tests/fixtures/eval8-images-idx3-ubyte" "$work/files/"
python3 - "$work/files/discs.zip" <<'PY'
import struct, sys, zipfile, zlib
def png(n, f):
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    rows = b''.join(b'\0' + bytes(f(x, y) for x in range(n)) for y in range(n))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', n, n, 8, 0, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for i in range(12):
        n, r = (24 if i == 11 else 20), 3 + i % 6
        z.writestr(f'discs/{i:02}.png', png(n, lambda x, y: 255 if (x - n / 2) ** 2 + (y - n / 2) ** 2 < r * r else 0))
    z.writestr('discs/readme.txt', 'twelve discs')
    z.writestr('__MACOSX/discs/._00.png', 'resource fork')
PY
python3 "$here/serve.py" --port "$PORT" --upload "$work" --files "$work/files" >"$work/server.log" 2>&1 & srv=$!
sleep 1
url="http://127.0.0.1:$PORT/?test=1&net=seed000&size=$SIZE&channels=$CHANNELS&batch=$BATCH&steps=$STEPS&every=$EVERY&eval_count=$COUNT&eval_batch=$EVAL_BATCH&golden=$GOLDEN&drops=discs.zip,eval8-images-idx3-ubyte&drop_steps=4"
# --dump-dom can return before an async page finishes: wait for the page's last console line.
chromium --headless=new --no-sandbox --enable-unsafe-webgpu --user-data-dir="$work/profile" \
  --enable-logging=stderr --v=0 "$url" >"$work/chromium.log" 2>&1 & chr=$!
t0=$(date +%s)
until grep -q '"TEST: DONE"' "$work/chromium.log"; do
  kill -0 "$chr" 2>/dev/null || { echo "chromium exited early" >&2; break; }
  [ $(( $(date +%s) - t0 )) -lt "${WEB_TEST_TIMEOUT:-900}" ] || { echo "timed out" >&2; break; }
  sleep 1
done
grep -o '"TEST: [^"]*"' "$work/chromium.log" | sed 's/^"TEST: //; s/"$//' | tee "$work/test.log"
line() { grep "^$1 " "$work/test.log" | tail -1; }
fail() { echo "FAIL: $*" >&2; exit 1; }
! grep -q '^ERROR' "$work/test.log" || fail "the page reported an error"
line shaders | grep -q ' 0 failed$' || fail "some kernels did not build under the browser's compiler"
# One golden line per network, each within its bound (the page marks a miss FAILED).
[ "$(grep -c '^golden .* worst relative error' "$work/test.log")" = "$(tr , '\n' <<<"$GOLDEN" | wc -l)" ] \
  || fail "not every golden network reported"
! grep -q '^golden .*FAILED' "$work/test.log" || fail "a network is off PyTorch beyond the bound"
# The zip's 12 discs (readme and resource fork skipped) and the IDX file's 512 images, each
# trained on for a few finite steps; a dropped text file refused with a message.
line 'drop discs.zip' | grep -q 'count 12 size 16 channels 1 .* finite true .*readme.txt' || fail "the dropped zip"
line 'drop eval8-images-idx3-ubyte' | grep -q 'count 512 size 16 channels 1 .* finite true' || fail "the dropped IDX file"
line 'drop notes.txt' | grep -q 'refused: .*no PNG or JPEG' || fail "a dropped text file was not refused clearly"
read -r _ _ first _ last <<<"$(line loss)"
python3 -c "import sys; sys.exit(not $last < $first)" || fail "loss did not fall ($first -> $last)"
[ -s "$work/checkpoint.safetensors" ] || fail "no checkpoint arrived"
web_eval=$(line eval | awk '{print $2}')
native=$(XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp} WGPU_DDPM_SKIP_SELF_CHECK=1 "$bin" eval \
  --checkpoint "$work/checkpoint.safetensors" --data builtin --image-size $SIZE \
  --count $COUNT --batch $EVAL_BATCH --seed 0)
echo "native: $native"
native_eval=$(sed -n 's/.*MSE \([0-9.e+-]*\) .*/\1/p' <<<"$native")
# Each side's network output is within relative L2 e of float64 (docs/tolerances.md, golden
# bound: 5.9e-3 on SwiftShader, 2.15e-4 on lavapipe); an MSE against unit noise then moves by
# at most 2 sqrt(L) d + d^2 with d = e (sqrt(L) + 1) the output's RMS error.
python3 - "$web_eval" "$native_eval" <<'PY' || fail "browser and native evals differ beyond the bound"
import math, sys
web, nat = map(float, sys.argv[1:])
e = 5.9e-3 + 5.9e-3
d = e * (math.sqrt(max(web, nat)) + 1)
tol = 2 * math.sqrt(max(web, nat)) * d + d * d
print(f"eval: browser {web:.6f} native {nat:.6f} |diff| {abs(web - nat):.2e} bound {tol:.2e}")
sys.exit(abs(web - nat) > tol)
PY
echo "web test passed"
