#!/usr/bin/env bash
# GPU job (session 50, third): fuse_layers now fuses llama blocks first on CUDA (runtime='fused'): the fused-model tests through
# it (one-row decode against MLX's layers, the compiled loop against mlx-lm's), then the blocks' own tests, one at a time so
# that a time limit still leaves each finished one named in the log.
set -u
source /tmp/common.sh
T=tests/test_turboquant_gpu.py
stamp gpu-tests
for t in "$T::test_fused_model_decodes_like_mlx" "tests/test_runtime_gpu.py::test_compiled_decode_with_fused_layers_one_token_prompt[llama]" \
         "$T::test_fused_blocks_decode_like_mlx[llama]" "$T::test_fused_blocks_decode_like_mlx[qwen3]" \
         "$T::test_fused_blocks_decode_like_mlx[llama-mixed]" "$T::test_block_fusions_match_float64[4]"; do
  timeout 120 python3 -m pytest -q -rA "$t" 2>&1 | grep -E "^(PASSED|FAILED|ERROR)|Error|assert" | head -8 | tee -a $R/gpu_tests_blocks_runtime.log
done
stamp end
touch $R/DONE
