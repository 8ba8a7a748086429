#!/usr/bin/env bash
# GPU job (session 51, second): one decode token's attention in one kernel (turboquant.attn_decode_cuda: RoPE, Qwen3's head
# norms, the cached keys plus the new one; the cache written by two slice updates): the kernel against attn_decode_mlx, then the
# 8B shape's decode with fused blocks with and without it (-mlxattn: mlx-lm's attention ops, as before), variants in turn, then
# a fused model against mlx-lm's logits, then the 1B shape.
# Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s54.sh); collect.sh at once after each call.
set -u
source /tmp/common.sh
PARTS=${PARTS:-"tests 8b blocks 1b"}
T=tests/test_turboquant_gpu.py
V="affine4 affine4-blocks-fused affine4-blocks-mlxattn-fused float"
if [[ $PARTS == *tests* ]]; then
stamp attention-tests
timeout 150 python3 -m pytest -q -rA "$T::test_attention_kernel_matches_mlx" 2>&1 | grep -E "^(PASSED|FAILED|ERROR)|Error|assert|passed|failed" | head -40 | tee $R/gpu_tests_attention.log
fi
if [[ $PARTS == *8b* ]]; then
stamp llama-8b
timeout 280 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants $V --rounds 3 2>&1 | tee $R/step_cost_attn_llama8b.log
fi
if [[ $PARTS == *blocks* ]]; then
stamp block-tests
for fam in llama qwen3; do
  timeout 110 python3 -m pytest -q -rA "$T::test_fused_blocks_decode_like_mlx[$fam]" 2>&1 | grep -E "^(PASSED|FAILED|ERROR)|Error|assert|passed|failed" | head -8 | tee -a $R/gpu_tests_attention.log
done
fi
if [[ $PARTS == *1b* ]]; then
stamp llama-1b
timeout 200 python3 benchmarks/probe_step_cost.py --shape llama-1b --variants $V --rounds 3 2>&1 | tee $R/step_cost_attn_llama1b.log
fi
stamp end
touch $R/DONE
