#!/usr/bin/env bash
# GPU job (ready for session 52): what job_s55.sh left unrun. The Qwen3 and MoE (Mixtral) fused-model tests with the attention
# kernel, given the time their NVRTC compiles take (both reached 90 s in job_s55.sh); the zaya1-like MoE rounds with attention
# fused alone (runtime='fused' as a user gets it: -bigfused, blocks and attentions, then the layers of >= FUSE_MIN_BYTES); the 8B shape's
# mixed plan against uniform 4-bit, both with blocks and the attention kernel; then bench_decode.py's 8B table (prefill too).
# Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s56.sh); collect.sh at once after each call.
set -u
source /tmp/common.sh
PARTS=${PARTS:-"tests moe mixed table"}
T=tests/test_turboquant_gpu.py
if [[ $PARTS == *tests* ]]; then
stamp block-tests
for fam in qwen3 mixtral; do
  timeout 240 python3 -m pytest -q -rA "$T::test_fused_blocks_decode_like_mlx[$fam]" 2>&1 | grep -E "^(PASSED|FAILED|ERROR)|Error|assert|passed|failed" | head -8 | tee -a $R/gpu_tests_attention_moe.log
done
fi
if [[ $PARTS == *moe* ]]; then
stamp zaya1-like
timeout 300 python3 benchmarks/probe_step_cost.py --shape zaya1-like --variants affine4 affine4-bigfused jangtq-k jangtq-k-bigfused float --rounds 3 2>&1 | tee $R/step_cost_attn_zaya1.log
fi
if [[ $PARTS == *mixed* ]]; then
stamp llama-8b-mixed
timeout 300 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants affine4-blocks-fused mixed mixed-blocks-fused float --rounds 3 2>&1 | tee $R/step_cost_attn_mixed_llama8b.log
fi
if [[ $PARTS == *table* ]]; then
stamp llama-8b-table
timeout 300 python3 benchmarks/bench_decode.py --shape llama-8b --variants float affine4 affine4-fused mixed-fused tq4-mlp-fused --json $R/decode_llama8b_attn.json 2>&1 | tee $R/decode_llama8b_attn.log
fi
stamp end
touch $R/DONE
