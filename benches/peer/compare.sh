#!/usr/bin/env bash
# Run our train_step bench and the PyTorch peer with the same batch and channels, on the
# same machine, and print the ratios (ours / PyTorch).
#   BATCH=32 CHANNELS=16,32,64 THREADS=2 DEVICE=cpu benches/peer/compare.sh
# DEVICE=cuda compares with PyTorch CUDA (TF32 off) while our bench uses the best adapter.
set -euo pipefail
cd "$(dirname "$0")/../.."
BATCH=${BATCH:-32}; CHANNELS=${CHANNELS:-64,128,256}; THREADS=${THREADS:-2}; DEVICE=${DEVICE:-cpu}
SAMPLE_BATCH=${SAMPLE_BATCH:-8}; STEPS=${STEPS:-3}
ours=$(BENCH_BATCH=$BATCH BENCH_CHANNELS=$CHANNELS BENCH_STEPS=$STEPS BENCH_SAMPLE_BATCH=$SAMPLE_BATCH \
    cargo bench -q --bench train_step 2>/dev/null | tee /dev/stderr)
peer=$(python3 benches/peer/torch_unet.py --device "$DEVICE" --threads "$THREADS" --batch "$BATCH" \
    --channels "$CHANNELS" --steps "$STEPS" --sample-batch "$SAMPLE_BATCH" | tee /dev/stderr)
field() { grep "^$1" | sed -E "s/.* ([0-9.]+) $2.*/\1/"; }
oi=$(echo "$ours" | field train_step images/s); pi=$(echo "$peer" | field train_step images/s)
os=$(echo "$ours" | field sample "denoise steps/s"); ps=$(echo "$peer" | field sample "denoise steps/s")
python3 -c "print(f'ratio ours/PyTorch: training {${oi}/${pi}:.3f}x images/s, sampling {${os}/${ps}:.3f}x denoise steps/s')"
