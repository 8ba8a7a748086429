#!/usr/bin/env bash
# GPU job of session 54: the tensor-core GEMV's cases that reach a warp's ragged last load group (fixed in gemv_mma.cu):
# TurboQuant over 16 experts of 1536 inputs and affine over 6 experts of 1536 inputs, pytest -v so every case reports as
# it finishes. Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s59.sh).
set -u
source /tmp/common.sh
T=tests/test_turboquant_gpu.py
stamp mma-ragged
timeout 200 python3 -m pytest -v -p no:cacheprovider "$T::test_mma_tq_kernel_matches_dequantized" "$T::test_mma_kernel_matches_dequantized" \
  -k "16- or 6-" 2>&1 | grep -E "PASSED|FAILED|ERROR|Error|assert|passed|failed" | tee $R/gpu_tests_mma_ragged.log
stamp end
touch $R/DONE
