#!/usr/bin/env bash
# Issue 23's tables in one run: ours and PyTorch CPU side by side, both conv paths, Mesa 22.3
# and Mesa 25, and the llvmpipe ceiling (convprobe). Writes OUT/report.md (what BENCHMARKS.md
# holds), OUT/commands.txt (every command, its start time and the load average) and OUT/logs/.
#
#   benches/peer/issue23.sh              # every part, on an idle machine (about 25 minutes)
#   benches/peer/issue23.sh d e          # some parts only (a b c d e f g, see below)
#   benches/peer/issue23.sh --tiny       # a quick pass over every command (checks the script;
#                                        # its figures mean nothing)
#
# Parts: a seed U-Net 3x3 convs at batch 8 and 32, Subgroup and Plain paths; b the strided and
# transposed convs (batch 8); c the step's profile and the first and last convs' share; d
# seed000 train and denoise steps against PyTorch; e every seed network against PyTorch;
# f Mesa 25 against Mesa 22.3 for the conv groups; g convprobe fma and micro.
# Environment: OUT (default target/issue23/DATE), PY (the PyTorch venv's python), CONVPROBE
# (the convprobe binary), MESA25_ICD (an ICD json whose library_path is absolute; MESA22_ICD
# the system's), ROUNDS (repeats of each measurement, default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."

tiny=0
parts=()
for arg in "$@"; do
    case "$arg" in
        --tiny) tiny=1 ;;
        [a-g]) parts+=("$arg") ;;
        *) echo "issue23.sh: unknown argument '$arg' (expected --tiny or parts a..g)" >&2; exit 2 ;;
    esac
done
[ ${#parts[@]} -eq 0 ] && parts=(a b c d e f g)
want() { [[ " ${parts[*]} " == *" $1 "* ]]; }

PY=${PY:-/work/torchenv/bin/python}
CONVPROBE=${CONVPROBE:-$HOME/convprobe-target/release/convprobe}
MESA25_ICD=${MESA25_ICD:-/work/mesa25/lvp.json}
MESA22_ICD=${MESA22_ICD:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}
OUT=${OUT:-target/issue23/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/logs"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
export BENCH_CLOCK=wall

if [ $tiny = 1 ]; then
    ROUNDS=${ROUNDS:-1}; SECS=0.01; B8=2; B32=2; STEPS=1; SSTEPS=1; TSTEPS=1; NETB=2
    PROBE_REPS=1
else
    ROUNDS=${ROUNDS:-2}; SECS=0.3; B8=8; B32=32; STEPS=3; SSTEPS=10; TSTEPS=10; NETB=16
    PROBE_REPS=5
fi

CMDS=$OUT/commands.txt
: > "$CMDS"
n=0
# run NAME CMD...: log the command (time, load average) and keep its output in logs/NN-NAME.log.
run() {
    local name=$1; shift
    n=$((n + 1))
    local log; log=$(printf '%s/logs/%02d-%s.log' "$OUT" "$n" "$name")
    local line
    line="[$(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)] $name: $*"
    echo "$line" | tee -a "$CMDS"
    if ! "$@" > "$log" 2>&1; then
        echo "FAILED ($name); last lines of $log:" | tee -a "$CMDS"
        tail -5 "$log" | tee -a "$CMDS"
    fi
    # progress: the step lines, or how many kernel rows came out
    grep -E '^(train_step|sample)' "$log" || true
    local rows; rows=$(grep -c 'GFLOP/s' "$log" || true)
    [ "$rows" -gt 0 ] && echo "  $rows kernel rows"
    return 0
}
# part X ESTIMATE_MIN: announce a part and its estimated idle time; `done_part` prints the time.
part() { echo "== part $1: estimated $2 min on an idle 2-core machine ==" | tee -a "$CMDS"; t0=$SECONDS; }
done_part() { echo "== part $1 took $(( (SECONDS - t0) / 60 )) min $(( (SECONDS - t0) % 60 )) s ==" | tee -a "$CMDS"; }

KERN=(cargo bench -q --bench kernels --)
STEP=(cargo bench -q --bench train_step)
TORCH=("$PY" benches/peer/torch_unet.py --device cpu --threads 2)

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src shaders benches || echo ' (+ local changes)')"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
    echo "cpu flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -xE 'avx2|fma|avx512f|avx512vl' | xargs)"
    echo "mesa 22.3 (system): $(vulkaninfo --summary 2>/dev/null | grep -m1 driverInfo | cut -d= -f2 | xargs)"
    if [ -f "$MESA25_ICD" ]; then
        echo "mesa 25 ($MESA25_ICD): $(VK_ICD_FILENAMES=$MESA25_ICD vulkaninfo --summary 2>/dev/null | grep -m1 driverInfo | cut -d= -f2 | xargs)"
    fi
    echo "pytorch: $("$PY" -c 'import torch; print(torch.__version__)' 2>&1)"
    echo "rustc: $(rustc --version)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "mode: $([ $tiny = 1 ] && echo 'TINY (a check of the script: figures are meaningless)' || echo full), rounds $ROUNDS, BENCH_SECONDS $SECS"
} | tee "$OUT/machine.txt"

echo "== build: up to 4 min on an idle machine if the crate changed since the last release build ==" | tee -a "$CMDS"
run build cargo bench --no-run -q --bench kernels --bench train_step

# Each conv run unit runs once per script run, even when several parts read it.
conv8_done=0
conv8() {
    [ $conv8_done = 1 ] && return; conv8_done=1
    for r in $(seq "$ROUNDS"); do
        run "conv8-subgroup-r$r" env BENCH_SECONDS=$SECS BENCH_BATCH=$B8 WGPU_DDPM_SPREAD=subgroup "${KERN[@]}" conv
        run "conv8-plain-r$r" env BENCH_SECONDS=$SECS BENCH_BATCH=$B8 WGPU_DDPM_SPREAD=plain "${KERN[@]}" conv
    done
}

if want a; then
    part a 6
    conv8
    # "conv2d" also matches the conv2d_geom groups (at batch 8); the report reads the seed rows.
    for r in $(seq "$ROUNDS"); do
        run "conv32-subgroup-r$r" env BENCH_SECONDS=$SECS BENCH_BATCH=$B32 WGPU_DDPM_SPREAD=subgroup "${KERN[@]}" conv2d
        run "conv32-plain-r$r" env BENCH_SECONDS=$SECS BENCH_BATCH=$B32 WGPU_DDPM_SPREAD=plain "${KERN[@]}" conv2d
    done
    done_part a
fi

if want b; then
    part b "$(want a && echo 0 || echo 3)"
    conv8
    done_part b
fi

if want c; then
    part c 1.5
    run profile env BENCH_PROFILE=1 BENCH_CHANNELS=16,32,64 BENCH_BATCH=$B32 BENCH_STEPS=$STEPS \
        BENCH_SAMPLE_STEPS=$SSTEPS "${STEP[@]}"
    # The profile sums by kernel, so the first (1->16) and last (1x1, 16->1) convs are timed
    # on their own at the step's shapes, packing included.
    run conv32-16-32-64 env BENCH_SECONDS=$SECS BENCH_BATCH=$B32 BENCH_CHANNELS=16,32,64 "${KERN[@]}" conv2d
    done_part c
fi

if want d; then
    part d 3
    for ch in 64,128,256 16,32,64; do
        for r in $(seq "$ROUNDS"); do
            run "ours-$ch-r$r" env BENCH_CHANNELS=$ch BENCH_BATCH=$B32 BENCH_STEPS=$STEPS \
                BENCH_SAMPLE_BATCH=8 BENCH_SAMPLE_STEPS=$SSTEPS "${STEP[@]}"
            run "torch-$ch-r$r" "${TORCH[@]}" --channels "$ch" --batch $B32 --steps $TSTEPS \
                --sample-batch 8 --sample-steps $((SSTEPS * 2))
        done
    done
    done_part d
fi

if want e; then
    part e 4
    # name, CPU widths (`info`), image side (seed003 at 32: at 64 a PyTorch step took > 30 s)
    for spec in seed000:16,32,64:28 seed001:16,32,64,128:48 seed002:32,64,32:28 \
        seed003:16:32 seed004:16,32,64:16; do
        IFS=: read -r net ch size <<< "$spec"
        for r in $(seq "$ROUNDS"); do
            run "ours-$net-r$r" env BENCH_NET=$net BENCH_CHANNELS=$ch BENCH_SIZE=$size \
                BENCH_BATCH=$NETB BENCH_STEPS=$STEPS BENCH_SAMPLE_BATCH=8 BENCH_SAMPLE_STEPS=5 "${STEP[@]}"
            run "torch-$net-r$r" "${TORCH[@]}" --net $net --channels "$ch" --size $size --batch $NETB \
                --steps $STEPS --sample-batch 8 --sample-steps 5
        done
    done
    done_part e
fi

if want f; then
    part f 6
    if [ -f "$MESA25_ICD" ]; then
        # The CPU clock (work done, not the wall's bimodal scheduling) and one round more:
        # the question is whether a driver makes a kernel do more work.
        for r in $(seq "$((ROUNDS + 1))"); do
            run "mesa22-r$r" env VK_ICD_FILENAMES="$MESA22_ICD" BENCH_CLOCK=cpu BENCH_SECONDS=$SECS \
                BENCH_BATCH=$B8 WGPU_DDPM_SPREAD=subgroup "${KERN[@]}" conv
            run "mesa25-r$r" env VK_ICD_FILENAMES="$MESA25_ICD" BENCH_CLOCK=cpu BENCH_SECONDS=$SECS \
                BENCH_BATCH=$B8 WGPU_DDPM_SPREAD=subgroup "${KERN[@]}" conv
        done
    else
        echo "!!! SKIPPED part f: no Mesa 25 ICD at $MESA25_ICD. Recipe (BENCHMARKS.md): apt-get download" \
            "mesa-vulkan-drivers/bookworm-backports, dpkg-deb -x it, write an ICD json whose" \
            "library_path is the absolute path of its libvulkan_lvp.so, set MESA25_ICD !!!" | tee -a "$CMDS"
    fi
    done_part f
fi

if want g; then
    part g 1.5
    if [ -x "$CONVPROBE" ]; then
        run convprobe-fma env REPS=$PROBE_REPS "$CONVPROBE" fma
        run convprobe-micro env REPS=$PROBE_REPS "$CONVPROBE" micro
    else
        echo "!!! SKIPPED part g: no convprobe at $CONVPROBE. Build it (shared/tools/convprobe/README.md):" \
            "CARGO_TARGET_DIR=\$HOME/convprobe-target cargo build --release --manifest-path" \
            "../shared/tools/convprobe/Cargo.toml, or set CONVPROBE !!!" | tee -a "$CMDS"
    fi
    done_part g
fi

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt"
python3 benches/peer/issue23_report.py "$OUT" > "$OUT/report.md"
echo "report: $OUT/report.md"
