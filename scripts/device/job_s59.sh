#!/usr/bin/env bash
# GPU job of session 54, in order:
#   the tensor-core GEMV's cases that reach a warp's ragged last load group (fixed in gemv_mma.cu): TurboQuant over 16
#   experts of 1536 inputs and affine over 6 experts of 1536 inputs, pytest -v so every case reports as it finishes;
#   Nsight Compute's sections for single GEMV calls, 3 and 4 bits, CUDA-core and tensor-core (probe_gemv_ncu.py);
#   the CUDA-core GEMV's rows a warp at every 8B product and width (bench_affine_gemv.py);
#   the CUDA-core GEMV with 64 registers of loads in flight instead of 192, as a baseline beside it;
#   the 8B step with bench_decode.py's mixed4 plan (affine4's bytes, mixed widths) against uniform 4-bit, fused and compiled;
#   every kernel of a fused 8B decode step under ncu (what bounds the step at 37% of bandwidth).
# Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s59.sh).
set -u
source /tmp/common.sh
T=tests/test_turboquant_gpu.py
stamp mma-ragged
timeout 200 python3 -m pytest -v -p no:cacheprovider "$T::test_mma_tq_kernel_matches_dequantized" "$T::test_mma_kernel_matches_dequantized" \
  -k "16- or 6-" 2>&1 | grep -E "PASSED|FAILED|ERROR|Error|assert|passed|failed" | tee $R/gpu_tests_mma_ragged.log
stamp gemv-ncu
# why the GEMVs run at their speed: Nsight Compute's occupancy, scheduler and memory sections of single calls
export PATH=$PATH:/usr/local/cuda/bin
timeout 300 python3 benchmarks/probe_gemv_ncu.py --shapes 28672x4096 4096x14336 4096x4096 --bits 3 4 --rows-per-warp 1 2 --tensor-core \
  --raw $R/gemv_ncu_raw.json 2>&1 | tee $R/gemv_ncu.log
stamp gemv-rows-per-warp
# the CUDA-core GEMV's rows a warp (1, 2, 4) at every 8B product and the widths a mixed plan uses: probe_occupancy.py (no GPU)
# says rows 2 leaves o/down at 15.5 resident warps an SM (the grid) and 3/5-bit down at 16 or fewer (registers)
timeout 240 python3 benchmarks/bench_affine_gemv.py --bits 3 4 5 8 --shapes 4096x4096 4096x14336 6144x4096 28672x4096 --rows-per-warp 1 2 4 --calls 50 --no-tensor-core 2>&1 | tee $R/affine_gemv_rpw.log
stamp gemv-load-budget
# the same kernel with 64 registers of code loads in flight, not 192 (5-bit down at 2 rows a warp: 255 registers -> 83, 8-bit
# 96 -> 40 by ptxas), side by side as the baseline
sed 's#192 / (RPW#64 / (RPW#g' jang_research/tq_gemv.cu > /tmp/loads64.cu
timeout 150 python3 benchmarks/bench_affine_gemv.py --bits 3 5 8 --shapes 4096x14336 28672x4096 --rows-per-warp 1 2 --calls 50 --no-tensor-core \
  --baseline /tmp/loads64.cu 2>&1 | tee $R/affine_gemv_loads64.log
stamp llama-8b-mixed4
timeout 200 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants affine4-blocks-compiled mixed4-blocks-compiled mixed-blocks-compiled affine4 --rounds 3 2>&1 | tee $R/step_cost_mixed4_llama8b.log
stamp kernels-8b
which ncu || echo "no ncu on PATH"
timeout 400 python3 benchmarks/probe_step_kernels.py --shape llama-8b --variants affine4-blocks mixed4-blocks tq4-mlp-tqblocks 2>&1 | tee $R/step_kernels_llama8b.log
stamp end
touch $R/DONE
