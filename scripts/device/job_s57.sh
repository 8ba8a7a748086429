#!/usr/bin/env bash
# GPU job (session 52): compiled decoding of fused models — fixed-slot caches, the attention kernel at the position the cache
# names, the whole step one mx.compile graph (runtime.compiled_generate_step) — tested against mlx-lm (and the attention kernel with
# its keys split among blocks, tested and timed at long contexts), then timed against the
# same fused model through mlx-lm's generate_step: the 8B shape (uniform 4-bit, the mixed plan), bench_decode.py's 8B table,
# the 1B shape; the block tests job_s56.sh left (Qwen3, Mixtral); last, MLX_MAX_OPS_PER_BUFFER 10/40/80 for the fused 8B. Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s57.sh).
set -u
source /tmp/common.sh
PARTS=${PARTS:-"static 8b attn mixed table 1b tests ops"}
T=tests/test_turboquant_gpu.py
F="^(PASSED|FAILED|ERROR)|Error|assert|passed|failed"
if [[ $PARTS == *static* ]]; then
stamp static-tests
timeout 150 python3 -m pytest -q -rA "$T::test_static_fused_decode_like_mlx" 2>&1 | grep -E "$F" | head -12 | tee $R/gpu_tests_static.log
timeout 200 python3 -m pytest -q -rA "$T::test_attention_kernel_splits_match_mlx" 2>&1 | grep -E "$F" | head -30 | tee $R/gpu_tests_splits.log
fi
if [[ $PARTS == *8b* ]]; then
stamp llama-8b
timeout 360 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants affine4 affine4-blocks-fused affine4-blocks-fused-compiled float float-compiled --rounds 3 2>&1 | tee $R/step_cost_compiled_llama8b.log
fi
if [[ $PARTS == *attn* ]]; then
stamp attention-bench
timeout 150 python3 benchmarks/bench_attention.py --positions 128 512 1024 2048 4096 16384 --splits 1 2 4 8 16 2>&1 | tee $R/attention_splits.log
fi
if [[ $PARTS == *mixed* ]]; then
stamp llama-8b-mixed
timeout 300 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants affine4-blocks-fused-compiled mixed-blocks-fused mixed-blocks-fused-compiled --rounds 3 2>&1 | tee $R/step_cost_compiled_mixed_llama8b.log
fi
if [[ $PARTS == *table* ]]; then
stamp llama-8b-table
timeout 300 python3 benchmarks/bench_decode.py --shape llama-8b --variants float affine4 affine4-fused affine4-fused-compiled mixed-fused-compiled tq4-mlp-fused-compiled --json $R/decode_llama8b_compiled.json 2>&1 | tee $R/decode_llama8b_compiled.log
fi
if [[ $PARTS == *1b* ]]; then
stamp llama-1b
timeout 200 python3 benchmarks/probe_step_cost.py --shape llama-1b --variants affine4 affine4-blocks-fused affine4-blocks-fused-compiled float float-compiled --rounds 3 2>&1 | tee $R/step_cost_compiled_llama1b.log
fi
if [[ $PARTS == *tests* ]]; then
stamp block-tests
timeout 240 python3 -m pytest -q -rA "$T::test_fused_blocks_decode_like_mlx[qwen3]" "$T::test_fused_blocks_decode_like_mlx[mixtral]" 2>&1 | grep -E "$F" | head -12 | tee -a $R/gpu_tests_attention_moe.log
fi
if [[ $PARTS == *ops* ]]; then   # MLX's CUDA graphs: ops a graph holds (default 20), fused 8B decode with and without compile
for n in 10 40 80; do
  stamp ops-$n
  MLX_MAX_OPS_PER_BUFFER=$n timeout 150 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants affine4-blocks-fused affine4-blocks-fused-compiled --rounds 2 2>&1 | tail -5 | sed "s/^/ops=$n /" | tee -a $R/step_cost_ops_llama8b.log
done
fi
stamp end
touch $R/DONE
