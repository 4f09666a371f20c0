#!/usr/bin/env bash
# Validation smoke: a few training steps, a short sample and an eval of each of the five
# networks on lavapipe under the Khronos validation layer with synchronization validation.
# Fails on any message from the layer, and when the layer's start-up message is missing
# (so the check cannot pass by the layer not being loaded).
#
#   scripts/validation_smoke.sh            # builds target/debug/wgpu-ddpm first
#   WGPU_DDPM_BIN=path/to/wgpu-ddpm scripts/validation_smoke.sh
#
# Needs Debian's vulkan-validationlayers (or the Vulkan SDK's layer) and lavapipe.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${WGPU_DDPM_BIN:-}" ]; then
    cargo build --quiet
fi
BIN=$(realpath "${WGPU_DDPM_BIN:-target/debug/wgpu-ddpm}")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/validation_smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
export WGPU_DDPM_ADAPTER=llvmpipe
export VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation
export VK_LAYER_ENABLES=VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT
# Report everything, into a file. Layers before 1.3.250 (Debian 12 ships 1.3.239) read these
# settings only from vk_layer_settings.txt; later ones also from the VK_LAYER_* variables.
export VK_LAYER_REPORT_FLAGS=error,warn,perf,info
export VK_LAYER_DEBUG_ACTION=VK_DBG_LAYER_ACTION_LOG_MSG
# A debug build of wgpu enables the layer itself and embeds the WGSL source in its SPIR-V
# (OpSource language 10), which the layer's SPIRV-Tools on Debian 12 rejects on every shader
# ("Invalid source language operand: 10"). Validate the SPIR-V a release build creates.
export WGPU_DEBUG=0

failed=0
# run NAME COMMAND...: one process under the layer, with its own log file.
run() {
    local name=$1
    shift
    local dir="$WORK/$name"
    mkdir -p "$dir"
    local log="$dir/validation.log"
    cat >"$dir/vk_layer_settings.txt" <<EOF
khronos_validation.debug_action = VK_DBG_LAYER_ACTION_LOG_MSG
khronos_validation.report_flags = error,warn,perf,info
khronos_validation.log_filename = $log
khronos_validation.enables = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT
EOF
    local start=$SECONDS
    if ! VK_LAYER_SETTINGS_PATH="$dir" VK_LAYER_LOG_FILENAME="$log" "$@" >"$dir/out.txt" 2>&1; then
        echo "FAIL $name: the command failed: $*"
        tail -n 20 "$dir/out.txt"
        failed=1
        return
    fi
    # WGPU_DDPM_ADAPTER makes a run without lavapipe fail; info and train also name it.
    if [[ $name == info || $name == *-train ]] && ! grep -q "llvmpipe" "$dir/out.txt"; then
        echo "FAIL $name: the run did not report lavapipe (llvmpipe) as its adapter"
        failed=1
    fi
    # The layer's own start-up message: it is loaded, and synchronization validation is on.
    if ! grep -q "Khronos Validation Layer Active" "$log" 2>/dev/null; then
        echo "FAIL $name: no start-up message from VK_LAYER_KHRONOS_validation in $log: the layer did not run"
        failed=1
        return
    fi
    if ! grep -q "Current Enables:.*SYNCHRONIZATION_VALIDATION" "$log"; then
        echo "FAIL $name: the layer runs without synchronization validation:"
        grep "Current Enables" "$log"
        failed=1
    fi
    local messages status
    messages=$(grep -c "msgNum:" "$log")
    status=$(grep -c "createinstance-status-message" "$log")
    if [ "$messages" != "$status" ]; then
        echo "FAIL $name: $((messages - status)) validation message(s):"
        grep "msgNum:" "$log" | grep -v "createinstance-status-message" | cut -c1-400 | head -n 20
        failed=1
        return
    fi
    echo "ok   $name ($((SECONDS - start)) s, layer loaded, no messages)"
}

# Tiny widths, T = 20, a few steps: seconds per run; every kernel each network uses still runs
# forward, backward, in the optimizer, the sampler and eval.
declare -A CHANNELS=([seed000]=4,8,8 [seed001]=4,8,8,8 [seed002]=4,8,4 [seed003]=8 [seed004]=4,8,8)
run info "$BIN" info
for net in seed000 seed001 seed002 seed003 seed004; do
    out="$WORK/$net-run"
    run "$net-train" "$BIN" train --net "$net" --channels "${CHANNELS[$net]}" --image-size 16 \
        -T 20 --steps 3 --batch 3 --log-every 1 --sample-steps 3 --samples 2 --out "$out"
    run "$net-sample" "$BIN" sample --checkpoint "$out/checkpoint.safetensors" --count 2 \
        --batch 2 --strip 3 --out "$out/sample.png"
    run "$net-eval" "$BIN" eval --checkpoint "$out/checkpoint.safetensors" --image-size 16 \
        --count 5 --batch 3 --t 7
done

if [ "$failed" != 0 ]; then
    echo "validation smoke FAILED"
    exit 1
fi
echo "validation smoke passed: every run under the layer, no messages"
