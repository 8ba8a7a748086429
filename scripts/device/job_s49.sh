#!/usr/bin/env bash
# GPU job (session 49): where a quantized decode step's time goes (benchmarks/probe_step_cost.py): host cost per call of MLX's
# quantized matmul and of our kernel called four ways; then per variant of the 8B shape the primitives of one decode
# step, its build and evaluation time, and decode tok/s, with sibling projections merged (q/k/v, gate/up) or not.
# Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s49.sh); collect.sh at once after each call.
set -u
source /tmp/common.sh
PARTS=${PARTS:-"tests calls steps"}   # PARTS="tests" when device time is short
if [[ $PARTS == *tests* ]]; then
stamp gpu-tests
# the decode kernel now one object per configuration (constants in its source, no template arguments) and called without
# reshapes: kernel against float64 references (affine 4-bit g64 dense and experts, 3-bit g128, TurboQuant 4-bit), layers, a model
timeout 150 python3 -m pytest -q -rA 'tests/test_turboquant_gpu.py::test_affine_kernel_matches_dequantized[1-64-4]' 'tests/test_turboquant_gpu.py::test_affine_kernel_matches_dequantized[6-64-4]' 'tests/test_turboquant_gpu.py::test_affine_kernel_matches_dequantized[1-128-3]' 'tests/test_turboquant_gpu.py::test_kernel_matches_dequantized[4096-0-4]' 'tests/test_turboquant_gpu.py::test_layers_take_kernel_and_agree' 'tests/test_turboquant_gpu.py::test_kernel_rejects_mismatch' 'tests/test_turboquant_gpu.py::test_fused_layers_agree_with_mlx' 'tests/test_turboquant_gpu.py::test_fused_model_decodes_like_mlx' 2>&1 | tail -12 | tee $R/gpu_tests_config_kernel.log
fi
if [[ $PARTS == *calls* ]]; then
stamp calls
timeout 90 python3 benchmarks/probe_step_cost.py --calls 2>&1 | tee $R/step_cost_calls.log
fi
if [[ $PARTS == *steps* ]]; then
stamp llama-8b
V=${VARIANTS:-"affine4 affine4-fused float floor affine4-merged-fused"}   # VARIANTS=... JOB=job_s49.sh bash .gpu2/go.sh: fewer when device time is short
timeout 200 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants $V --verbose 2>&1 | tee $R/step_cost_llama8b.log
fi
stamp end
touch $R/DONE
