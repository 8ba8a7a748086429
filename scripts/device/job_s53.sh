#!/usr/bin/env bash
# GPU job (session 51): the fused-block tests one pytest run each (job_s52's list: the fused-model tests through fuse_layers,
# now with blocks; the compiled loop; the three block cases; a fusion against float64), then bench_decode's tables with
# runtime='fused' (blocks on CUDA) beside bf16 and MLX's layers: the 1B shape, then the 8B shape.
# Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s53.sh); collect.sh at once after each call.
set -u
source /tmp/common.sh
PARTS=${PARTS:-"tests 1b 8b"}
T=tests/test_turboquant_gpu.py
if [[ $PARTS == *tests* ]]; then
stamp gpu-tests
for t in "$T::test_fused_model_decodes_like_mlx" "tests/test_runtime_gpu.py::test_compiled_decode_with_fused_layers_one_token_prompt[llama]" \
         "$T::test_fused_blocks_decode_like_mlx[llama]" "$T::test_fused_blocks_decode_like_mlx[qwen3]" \
         "$T::test_fused_blocks_decode_like_mlx[llama-mixed]" "$T::test_block_fusions_match_float64[4]"; do
  stamp "$t"
  timeout 120 python3 -m pytest -q -rA "$t" 2>&1 | grep -E "^(PASSED|FAILED|ERROR)|Error|assert|passed|failed" | head -8 | tee -a $R/gpu_tests_blocks_runtime.log
done
fi
V="float affine4 affine4-fused mixed mixed-fused tq4-mlp tq4-mlp-fused"
if [[ $PARTS == *1b* ]]; then
stamp llama-1b
timeout 200 python3 benchmarks/bench_decode.py --shape llama-1b --variants $V --json $R/decode_llama1b_blocks.json 2>&1 | tee $R/decode_llama1b_blocks.log
fi
if [[ $PARTS == *8b* ]]; then
stamp llama-8b
timeout 300 python3 benchmarks/bench_decode.py --shape llama-8b --variants $V --json $R/decode_llama8b_blocks.json 2>&1 | tee $R/decode_llama8b_blocks.log
fi
stamp end
touch $R/DONE
