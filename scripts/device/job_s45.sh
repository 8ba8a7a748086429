#!/usr/bin/env bash
# H200 job (session 41, after job_s44.sh): (1) the dequantization kernel's own GPU tests (job_s44's -k also took the decode
# kernel's 76 cases and ran out of time in them); (2) the compiled decoder with fused layers, whose prompts now go through the
# kernel instead of MLX's quantized matmul; (3) the zaya1-like MoE shape (stacked experts: gather_mm on the kernel's weights),
# affine4 / tq4-mlp / jangtq-k, 512-token prefill, the code before (f3d88a2, /tmp/oldrepo) and after, one round.
# Carry: .gpu1, .gpu3, then .gpu2 with go.sh (JOB=job_s45.sh); collect.sh at once after.
set -u
source /tmp/common.sh
stamp gpu-tests
timeout 240 python3 -m pytest -q tests/test_turboquant_gpu.py -k "dequant_kernel or prompt_path" --durations=5 2>&1 | tee $R/gpu_tests_h200_dequant.log
stamp runtime-tests
timeout 150 python3 -m pytest -q -rxX tests/test_runtime_gpu.py -k fused 2>&1 | tee $R/gpu_tests_h200_runtime_dequant.log
alternate_decode 1 decode_prefill_kernel_zaya1_h200.log --shape zaya1-like --variants affine4 tq4-mlp jangtq-k --steps 32 --prefill 512
stamp end
touch $R/DONE
