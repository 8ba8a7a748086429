#!/usr/bin/env bash
# GPU job (session 50): the decode layers' launch arguments made once per call shape (turboquant.gemv_launch) and their
# parameters read by item: their GPU tests, the host cost per call against the session-49 layer, and per variant of the 8B
# shape a decode step's primitives, a pipelined loop's build / queue / wait split, and tok/s of all variants in turn.
# Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s50.sh); collect.sh at once after each call.
set -u
source /tmp/common.sh
PARTS=${PARTS:-"tests calls steps"}   # PARTS="tests" when device time is short
T=tests/test_turboquant_gpu.py
if [[ $PARTS == *tests* ]]; then
stamp gpu-tests
timeout 170 python3 -m pytest -q -rA "$T::test_affine_kernel_matches_dequantized[1-64-4]" "$T::test_affine_kernel_matches_dequantized[6-64-4]" \
  "$T::test_affine_kernel_matches_dequantized[1-128-3]" "$T::test_kernel_matches_dequantized[4096-0-4]" "$T::test_kernel_matches_dequantized[1536-32-2]" \
  "$T::test_layers_take_kernel_and_agree" "$T::test_kernel_rejects_mismatch" "$T::test_fused_layers_agree_with_mlx" "$T::test_fused_model_decodes_like_mlx" \
  "$T::test_dequant_kernel_matches_lookup[0-4]" "$T::test_affine_dequant_kernel_matches_float64[64-4]" "$T::test_affine_dequant_kernel_matches_float64[32-3]" \
  "$T::test_prompt_path_of_layers" 2>&1 | tail -18 | tee $R/gpu_tests_launch.log
fi
if [[ $PARTS == *calls* ]]; then
stamp calls
timeout 90 python3 benchmarks/probe_step_cost.py --calls 2>&1 | tee $R/step_cost_calls.log
fi
if [[ $PARTS == *steps* ]]; then
stamp llama-8b
V=${VARIANTS:-"affine4 affine4-fused affine4-percall affine4-bigfused float floor affine4-merged-fused"}
timeout 300 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants $V --rounds 3 --verbose 2>&1 | tee $R/step_cost_llama8b.log
fi
stamp end
touch $R/DONE
