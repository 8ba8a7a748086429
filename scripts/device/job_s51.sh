#!/usr/bin/env bash
# GPU job (session 50, second): llama blocks fused (turboquant.fuse_blocks: input norm + q/k/v, o + residual, norm + gate/up +
# SwiGLU, down + residual: four kernel calls a block besides attention): the fusions against float64, a fused model against
# mlx-lm, then the 8B shape's decode with and without them, through mlx-lm's loop and the compiled one, variants in turn.
# Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s51.sh); collect.sh at once after each call.
set -u
source /tmp/common.sh
PARTS=${PARTS:-"tests steps"}
T=tests/test_turboquant_gpu.py
if [[ $PARTS == *tests* ]]; then
stamp gpu-tests
timeout 280 python3 -m pytest -q -rA "$T::test_block_fusions_match_float64" "$T::test_fused_blocks_decode_like_mlx" \
  "$T::test_fused_model_decodes_like_mlx" tests/test_runtime_gpu.py::test_compiled_decode_with_fused_layers_one_token_prompt 2>&1 | tail -40 | tee $R/gpu_tests_blocks.log
fi
if [[ $PARTS == *steps* ]]; then
stamp llama-8b
V=${VARIANTS:-"affine4 affine4-blocks-fused affine4-fused affine4-bigfused float affine4-compiled affine4-blocks-fused-compiled"}
timeout 330 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants $V --rounds 3 2>&1 | tee $R/step_cost_blocks_llama8b.log
fi
stamp end
touch $R/DONE
