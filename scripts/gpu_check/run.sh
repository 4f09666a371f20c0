#!/usr/bin/env bash
# The GPU check: run from the bundle that build.sh made, on a machine with a GPU and a Vulkan
# loader (no Rust toolchain). Writes ONE report file and prints where it is.
#
#   ./run.sh [REPORT]           (default REPORT: ./gpu_check_report.txt)
#   QUICK=1 ./run.sh            small batches and short runs (seed003 at 32x32), for a dry run
#                               on a CPU driver
#
# Phases, each under its own time limit (limits adding up to 7.5 minutes): adapter info with the kernel
# self-check, the Vulkan driver, the kernel and golden tests, the conv benches and the
# train-step benches (seed000 at widths 64,128,256, batch 128; seed003 at 64x64), a 2-minute
# default `train`, and PyTorch CUDA on the same train step if torch can be imported.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
report=${1:-$here/gpu_check_report.txt}
quick=${QUICK:-0}
# The test binaries look for tests/fixtures under CARGO_MANIFEST_DIR.
export CARGO_MANIFEST_DIR=$here
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
export WGPU_DDPM_CACHE_DIR=$here/cache
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "$quick" = 1 ]; then
    batch=8 batch64=2 side=32 bench_steps=2 bench_seconds=0.1 train_s=30 test_filter=conv2d:: torch_steps=2
    export BENCH_SAMPLE_BATCH=2 BENCH_SAMPLE_STEPS=2
else
    # seed003 at 64x64 takes batch 64: at 128 its largest activation needs 4 GiB, more than
    # most drivers' storage-binding limit.
    batch=128 batch64=64 side=64 bench_steps=20 bench_seconds=0.5 train_s=120 test_filter= torch_steps=10
fi
export here batch torch_steps train_s work

# phase NAME LIMIT_S COMMAND...: a header, the output, and the exit status with the time.
# COMMAND may be one of the functions below (run in a child bash).
phase() {
    local name=$1 limit=$2 start rc
    shift 2
    echo
    echo "=== $name (limit ${limit} s)"
    start=$(date +%s)
    if declare -F "$1" >/dev/null; then
        timeout --kill-after=2 "$limit" bash -c "$*" 2>&1
    else
        timeout --kill-after=2 "$limit" "$@" 2>&1
    fi
    rc=$?
    [ $rc = 124 ] && echo "(stopped at the ${limit} s limit)"
    echo "--- $name: exit $rc, $(( $(date +%s) - start )) s"
}

vulkan_driver() {
    echo "VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-<unset>}"
    ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null
    if command -v vulkaninfo >/dev/null; then
        vulkaninfo --summary 2>/dev/null | sed -n '/^Devices:/,$p'
    else
        echo "vulkaninfo not installed; the driver is named by 'driver' in the info phase above"
    fi
}

# The default run, stopped by SIGINT after train_s seconds (it writes its checkpoint and
# exits), then the last rows of its metrics.
default_train() {
    timeout -s INT "$train_s" "$here/bin/wgpu-ddpm" train --out "$work/run"
    echo "train exit status $? (124: stopped by SIGINT as planned)"
    echo "last rows of metrics.csv:"
    tail -n 3 "$work/run/metrics.csv" 2>/dev/null || echo "(no metrics.csv)"
}

torch_peer() {
    if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
        python3 "$here/benches/peer/torch_unet.py" --device cuda --batch "$batch" --steps "$torch_steps"
    else
        echo "skipped: python3 with CUDA-enabled torch not found"
    fi
}

export -f vulkan_driver default_train torch_peer
{
    echo "wgpu-ddpm GPU check, $(date -u '+%Y-%m-%d %H:%M UTC'), host $(hostname), quick=$quick"
    cat "$here/BUILD_INFO"
    phase "adapter (wgpu-ddpm info --check)" 40 "$here/bin/wgpu-ddpm" info --check
    phase "vulkan driver" 10 vulkan_driver
    phase "kernel tests" 70 "$here/bin/test-kernels" $test_filter
    phase "golden tests" 40 "$here/bin/test-golden"
    BENCH_SECONDS=$bench_seconds \
        phase "conv benches (seed000 shapes)" 40 "$here/bin/bench-kernels" conv
    BENCH_NET=seed000 BENCH_CHANNELS=64,128,256 BENCH_BATCH=$batch BENCH_STEPS=$bench_steps \
        phase "train step seed000 widths 64,128,256 batch $batch" 35 "$here/bin/bench-train_step"
    BENCH_NET=seed003 BENCH_SIZE=$side BENCH_BATCH=$batch64 BENCH_STEPS=$bench_steps \
        phase "train step seed003 ${side}x${side} batch $batch64" 35 "$here/bin/bench-train_step"
    phase "default train, stopped after ${train_s} s" $((train_s + 15)) default_train
    phase "PyTorch CUDA peer (torch_unet.py --device cuda)" 45 torch_peer
} > "$report" 2>&1
echo "report: $report"
