#!/usr/bin/env bash
# GPU job of session 54, in order:
#   the tensor-core GEMV's cases that reach a warp's ragged last load group (fixed in gemv_mma.cu): TurboQuant over 16
#   experts of 1536 inputs and affine over 6 experts of 1536 inputs, pytest -v so every case reports as it finishes;
#   the 8B step with bench_decode.py's mixed4 plan (affine4's bytes, mixed widths) against uniform 4-bit, fused and compiled;
#   every kernel of a fused 8B decode step under ncu (what bounds the step at 37% of bandwidth).
# Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s59.sh).
set -u
source /tmp/common.sh
T=tests/test_turboquant_gpu.py
stamp mma-ragged
timeout 200 python3 -m pytest -v -p no:cacheprovider "$T::test_mma_tq_kernel_matches_dequantized" "$T::test_mma_kernel_matches_dequantized" \
  -k "16- or 6-" 2>&1 | grep -E "PASSED|FAILED|ERROR|Error|assert|passed|failed" | tee $R/gpu_tests_mma_ragged.log
stamp llama-8b-mixed4
timeout 200 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants affine4-blocks-compiled mixed4-blocks-compiled mixed-blocks-compiled affine4 --rounds 3 2>&1 | tee $R/step_cost_mixed4_llama8b.log
stamp kernels-8b
export PATH=$PATH:/usr/local/cuda/bin
which ncu || echo "no ncu on PATH"
timeout 400 python3 benchmarks/probe_step_kernels.py --shape llama-8b --variants affine4-blocks mixed4-blocks tq4-mlp-tqblocks 2>&1 | tee $R/step_kernels_llama8b.log
stamp end
touch $R/DONE
