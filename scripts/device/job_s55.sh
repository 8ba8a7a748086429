#!/usr/bin/env bash
# GPU job (session 51, third): attention outside fused blocks (turboquant.fuse_attention: an MoE block's attention, merged q/k/v
# and the attention kernel): the fused-model tests (llama, Qwen3 with heads of 64, an MoE), then the zaya1-like top-1 MoE shape's
# decode, MLX's layers against fused attention with and without the kernel, affine 4-bit and JANGTQ_K, bf16 beside them.
# Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s55.sh); collect.sh at once after each call.
set -u
source /tmp/common.sh
PARTS=${PARTS:-"tests moe"}
T=tests/test_turboquant_gpu.py
if [[ $PARTS == *tests* ]]; then
stamp block-tests
for fam in qwen3 mixtral llama; do
  timeout 90 python3 -m pytest -q -rA "$T::test_fused_blocks_decode_like_mlx[$fam]" 2>&1 | grep -E "^(PASSED|FAILED|ERROR)|Error|assert|passed|failed" | head -8 | tee -a $R/gpu_tests_attention_moe.log
done
fi
if [[ $PARTS == *moe* ]]; then
stamp zaya1-like
V=${VARIANTS:-"affine4 affine4-blocks-fused jangtq-k jangtq-k-blocks-fused float"}
timeout 270 python3 benchmarks/probe_step_cost.py --shape zaya1-like --variants $V --rounds 3 2>&1 | tee $R/step_cost_attn_zaya1.log
fi
stamp end
touch $R/DONE
