#!/usr/bin/env bash
# What llvmpipe makes of the conv kernels (issue 23): dumps the x86 code Mesa 25's lavapipe
# compiles for the conv groups (GALLIVM_DEBUG=asm), finds each kernel's hot loop, counts its
# instructions by kind and runs llvm-mca on it; the figures are in issue23_limits.md
# ("The machine code"). CI never runs it.
#
#   benches/peer/conv_asm.sh            # conv2d, conv_transpose2d; Subgroup and Plain paths
#   benches/peer/conv_asm.sh --fast     # Subgroup path, conv2d group only
#
# Needs Mesa 25 extracted (MESA25_ICD, default /work/mesa25/lvp.json: Mesa 22.3 prints no
# assembly), llvm-mca (MCA, default llvm-mca) and python3; convprobe (CONVPROBE) for the
# calibration of the clock and the texel-fetch check, skipped with a line without it. Each
# missing tool skips with a loud line; perf and objdump for the sampling part (where the conv
# loop's time goes, between the shader and its texel-fetch functions), skipped without them.
# Writes OUT (default target/conv_asm/DATE): the logs (several MB each) and report.md, the
# tables. About 6 minutes on an idle 2-core machine; the figures are counts and model output
# except convprobe's and the sampled shares (CPU time and samples: they hold under load).
set -euo pipefail
cd "$(dirname "$0")/../.."

fast=0
for arg in "$@"; do
    case "$arg" in
        --fast) fast=1 ;;
        *) echo "conv_asm.sh: unknown argument '$arg' (expected --fast)" >&2; exit 2 ;;
    esac
done

MESA25_ICD=${MESA25_ICD:-/work/mesa25/lvp.json}
MCA=${MCA:-llvm-mca}
CONVPROBE=${CONVPROBE:-$HOME/convprobe-target/release/convprobe}
CLOCK_GHZ=${CLOCK_GHZ:-}
OUT=${OUT:-target/conv_asm/$(date +%Y%m%d-%H%M%S)}

skip() { echo "############ conv_asm.sh SKIPPED: $* ############" >&2; exit 0; }
[ -f "$MESA25_ICD" ] || skip "no Mesa 25 ICD at $MESA25_ICD (set MESA25_ICD; BENCHMARKS.md has the recipe)"
command -v "$MCA" > /dev/null || skip "no llvm-mca ($MCA; set MCA, e.g. llvm-mca-14)"
command -v python3 > /dev/null || skip "no python3"

mkdir -p "$OUT"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
# The bench binary: cargo prints its path; --no-run builds it if needed.
BIN=$(cargo bench --bench kernels --no-run 2>&1 | sed -n 's/.*Executable.*(\(.*\))/\1/p' | tail -1)
[ -x "$BIN" ] || { echo "conv_asm.sh: could not build the kernels bench" >&2; exit 1; }

# dump NAME CMD...: run CMD on Mesa 25 with its assembly printed, stdout and stderr in one
# file (the analysis needs them in order). The shader cache is off: a cached shader is not
# compiled, so not printed.
dump() {
    local name=$1; shift
    echo "[$(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)] $name: $*" | tee -a "$OUT/commands.txt"
    VK_ICD_FILENAMES=$MESA25_ICD GALLIVM_DEBUG=asm MESA_SHADER_CACHE_DISABLE=true \
        BENCH_CLOCK=wall BENCH_SECONDS=0.01 BENCH_BATCH=8 "$@" > "$OUT/$name.log" 2>&1
}

logs=(conv2d.subgroup)
dump conv2d.subgroup env WGPU_DDPM_SPREAD=subgroup "$BIN" conv2d
if [ $fast = 0 ]; then
    dump conv2d.plain env WGPU_DDPM_SPREAD=plain "$BIN" conv2d
    dump conv_transpose2d.subgroup env WGPU_DDPM_SPREAD=subgroup "$BIN" conv_transpose2d
    dump conv_transpose2d.plain env WGPU_DDPM_SPREAD=plain "$BIN" conv_transpose2d
    logs+=(conv2d.plain conv_transpose2d.subgroup conv_transpose2d.plain)
fi

extra=()
if [ -x "$CONVPROBE" ]; then
    dump probe-fma env REPS=5 "$CONVPROBE" fma
    dump probe-micro env REPS=5 ONLY=texture "$CONVPROBE" micro
    extra+=(--probe "$OUT/probe-fma.log" --micro "$OUT/probe-micro.log")
else
    echo "############ no convprobe at $CONVPROBE: no clock calibration, no fetch check ############" >&2
fi
# The core clock, measured: a chain of dependent 64-bit multiplies (3 cycles each on every
# x86 core of the last decade) timed in thread CPU time, so other work does not skew it.
if [ -z "$CLOCK_GHZ" ] && command -v cc > /dev/null; then
    cat > "$OUT/clock.c" <<'C'
#include <stdio.h>
#include <time.h>
int main(void) {
    double best = 0;
    for (int r = 0; r < 5; r++) {
        long n = 50000000, x = 3;
        struct timespec a, b;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        __asm__ volatile("1:\n\timul %0,%0\n\timul %0,%0\n\timul %0,%0\n\timul %0,%0\n\t"
                         "dec %1\n\tjnz 1b\n" : "+r"(x), "+r"(n));
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
        double ghz = 12 * 50e6 / s * 1e-9;
        if (ghz > best) best = ghz;
    }
    printf("%.2f\n", best);
    return 0;
}
C
    cc -O2 -o "$OUT/clock" "$OUT/clock.c" && CLOCK_GHZ=$("$OUT/clock")
    echo "core clock (dependent imul chain, thread CPU time, best of 5): $CLOCK_GHZ GHz" | tee -a "$OUT/commands.txt"
fi
[ -n "$CLOCK_GHZ" ] && extra+=(--clock-ghz "$CLOCK_GHZ")

# Where the time goes, sampled (perf record -e cpu-clock needs no hardware counters), on Mesa
# 25 and on the system's Mesa 22.3: the k3 backward-input rows from 64x28x28 on, and the
# weight gradient's 128x7x7 -> 256 row (main_k3 and its reduce pass). The bench is this
# script's own child and is stopped by its PID once sampled.
# sample NAME ICD GROUP AFTER: sample GROUP's rows that follow the row whose shape has AFTER.
sample() {
    local name=$1 icd=$2 group=$3 after=$4
    echo "[$(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)] sample-$name" | tee -a "$OUT/commands.txt"
    env ${icd:+VK_ICD_FILENAMES=$icd} WGPU_DDPM_SPREAD=subgroup BENCH_NO_PACK=1 \
        BENCH_CLOCK=wall BENCH_SECONDS=10 "$BIN" "$group" > "$OUT/sample-$name.out" 2>&1 &
    local pid=$!
    for _ in $(seq 1 400); do grep -q "$after" "$OUT/sample-$name.out" && break; sleep 0.5; done
    sleep 1
    perf record -q -e cpu-clock -p "$pid" -o "$OUT/sample-$name.perf" -- sleep 3 2> /dev/null
    perf script -i "$OUT/sample-$name.perf" -F ip > "$OUT/sample-$name.ips" 2> /dev/null
    python3 benches/peer/jit_sample.py "$pid" "$OUT/sample-$name.ips" > "$OUT/sample-$name.md"
    kill "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
}
samples=()
if [ $fast = 0 ] && command -v perf > /dev/null && command -v objdump > /dev/null; then
    sample input.mesa25 "$MESA25_ICD" conv2d_backward_input 8x1x28x28
    sample input.mesa22 "" conv2d_backward_input 8x1x28x28
    sample weight7.mesa25 "$MESA25_ICD" conv2d_backward_weight 8x128x14x14
    sample weight7.mesa22 "" conv2d_backward_weight 8x128x14x14
    samples=(input.mesa25 input.mesa22 weight7.mesa25 weight7.mesa22)
else
    echo "############ no sampling (--fast, or perf or objdump missing) ############" >&2
fi

{
    echo "# conv_asm.sh $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)"
    echo "cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) cores"
    echo "mca: $("$MCA" --version | sed -n 's/.*LLVM version \(.*\)/LLVM \1/p' | head -1)"
    echo "core clock: ${CLOCK_GHZ:-not measured} GHz"
    for l in "${logs[@]}"; do
        echo
        echo "## $l"
        echo
        python3 benches/peer/conv_asm.py "$OUT/$l.log" --mca "$MCA" "${extra[@]}"
    done
    for s in "${samples[@]}"; do
        echo
        echo "## sampled: $s (input: conv2d_backward_input rows 64x28x28 on; weight7:"
        echo "conv2d_backward_weight 128x7x7 -> 256; JIT code only)"
        echo
        cat "$OUT/sample-$s.md"
    done
} | tee "$OUT/report.md"
echo "conv_asm.sh: wrote $OUT/report.md (logs beside it)"
