#!/usr/bin/env bash
# Decode GEMV on a CUDA GPU, kernel times from Nsight Compute (cold L2): fused TurboQuant kernel vs MLX affine
# quantized_matmul (group 64, same bits) vs fp16, for 4096x4096 and 14336x4096, bits 2/3/4, printed side by side.
# Needs MLX with its CUDA backend (mlx-cuda) and `ncu` on PATH. Usage: bash benchmarks/bench_tq_gemv_ncu.sh [peak GB/s]
set -euo pipefail
cd "$(dirname "$0")/.."
peak=${1:-3350}
nvidia-smi --query-gpu=name,clocks.max.memory --format=csv,noheader || true
for shp in 4096x4096 14336x4096; do
  csv=$(mktemp)
  ncu --clock-control none --metrics gpu__time_duration.sum --csv -k regex:"gemv|qmv|jang" \
      python3 benchmarks/probe_kernels.py "$shp" 2 3 4 > "$csv" 2>/dev/null
  python3 benchmarks/ncu_summary.py "$csv" "$shp" --peak-gbs "$peak"
  rm -f "$csv"
done
