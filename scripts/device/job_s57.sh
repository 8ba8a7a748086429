#!/usr/bin/env bash
# GPU job (written in session 52, which was lent no device). Parts in this order, about 25 min in all (a session's device budget):
#   static  the GPU tests of what session 52 built: compiled decoding of fused models (fixed-slot caches, the attention kernel at
#           the position the cache names), the attention kernel's keys split among blocks, the rotation kernel, the paired
#           TurboQuant GEMV, blocks with TurboQuant MLPs and SwitchGLUs over TurboQuant experts (fuse_blocks(tq_mlp=True))
#   8b      the 8B shape: fused blocks through mlx-lm's loop and compiled, the mixed plan compiled, bf16 both ways
#   tq      TurboQuant 4-bit MLPs: attention fused alone (the default) vs blocks fused with the MLP, against MLX affine 4-bit
#   moe     the zaya1-like MoE: JANGTQ_K with its SwitchGLUs fused (experts paired) vs affine at the JANGTQ_K widths, bf16
#   attn    bench_attention.py: one block a head vs split keys vs MLX's sdpa, positions 128-16384
#   table   bench_decode.py's 8B table (prefill too); 1b: the 1B shape; tests: the block tests job_s56.sh left (Qwen3,
#           Mixtral); mixed: the mixed plan with and without compile; rotk: TurboQuant layers rotating by the kernel
#           (TQ_ROTATE_KERNEL); ops: MLX_MAX_OPS_PER_BUFFER 10/40/80
# Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s57.sh); PARTS="..." picks parts.
set -u
source /tmp/common.sh
PARTS=${PARTS:-"static 8b tq moe attn table 1b tests mixed rotk ops"}
T=tests/test_turboquant_gpu.py
if [[ $PARTS == *static* ]]; then
stamp static-tests
gpu_tests gpu_tests_s57.log 420 "$T::test_static_fused_decode_like_mlx" "$T::test_attention_kernel_splits_match_mlx" \
  "$T::test_rotation_kernel_matches_mlx" "$T::test_tq_layers_rotate_in_kernel" "$T::test_paired_gemv_matches_float64" \
  "$T::test_fused_tq_blocks_decode_like_mlx" "$T::test_fused_tq_experts_decode_like_mlx"
fi
if [[ $PARTS == *8b* ]]; then
stamp llama-8b
timeout 450 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants affine4 affine4-blocks-fused affine4-blocks-fused-compiled mixed-blocks-fused-compiled float float-compiled --rounds 3 2>&1 | tee $R/step_cost_compiled_llama8b.log
fi
if [[ $PARTS == *tq* ]]; then   # TurboQuant 4-bit MLPs: attention fused alone (the default), blocks fused with the MLP paired; MLX affine 4-bit
stamp llama-8b-tq
timeout 300 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants affine4 tq4-mlp-fused tq4-mlp-tqblocks-fused tq4-mlp-tqblocks-fused-compiled --rounds 3 2>&1 | tee $R/step_cost_tqblocks_llama8b.log
fi
if [[ $PARTS == *moe* ]]; then   # the top-1 MoE shape: JANGTQ_K with attention and experts fused (SwitchGLU paired), against affine at its widths
stamp zaya1-like
timeout 300 python3 benchmarks/probe_step_cost.py --shape zaya1-like --variants affine-k jangtq-k jangtq-k-tqblocks-fused jangtq-k-tqblocks-fused-compiled float --rounds 3 2>&1 | tee $R/step_cost_tqexperts_zaya1.log
fi
if [[ $PARTS == *attn* ]]; then
stamp attention-bench
timeout 150 python3 benchmarks/bench_attention.py --positions 128 512 1024 2048 4096 16384 --splits 1 2 4 8 16 2>&1 | tee $R/attention_splits.log
fi
if [[ $PARTS == *table* ]]; then
stamp llama-8b-table
timeout 360 python3 benchmarks/bench_decode.py --shape llama-8b --variants float affine4 affine4-fused affine4-fused-compiled mixed-fused-compiled tq4-mlp-fused-compiled tq4-mlp-tqfused-compiled --json $R/decode_llama8b_compiled.json 2>&1 | tee $R/decode_llama8b_compiled.log
fi
if [[ $PARTS == *1b* ]]; then
stamp llama-1b
timeout 200 python3 benchmarks/probe_step_cost.py --shape llama-1b --variants affine4 affine4-blocks-fused affine4-blocks-fused-compiled float float-compiled --rounds 3 2>&1 | tee $R/step_cost_compiled_llama1b.log
fi
if [[ $PARTS == *tests* ]]; then
stamp block-tests
gpu_tests gpu_tests_attention_moe.log 240 "$T::test_fused_blocks_decode_like_mlx[qwen3]" "$T::test_fused_blocks_decode_like_mlx[mixtral]"
fi
if [[ $PARTS == *mixed* ]]; then
stamp llama-8b-mixed
timeout 300 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants affine4-blocks-fused-compiled mixed-blocks-fused mixed-blocks-fused-compiled --rounds 3 2>&1 | tee $R/step_cost_compiled_mixed_llama8b.log
fi
if [[ $PARTS == *rotk* ]]; then   # TurboQuant layers (attention fused alone) rotating by the kernel
stamp llama-8b-rotk
timeout 200 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants affine4 tq4-mlp-fused --rounds 3 --tq-rotate-kernel 2>&1 | tee $R/step_cost_rotk_llama8b.log
fi
if [[ $PARTS == *ops* ]]; then   # MLX's CUDA graphs: ops a graph holds (default 20), fused 8B decode with and without compile
for n in 10 40 80; do
  stamp ops-$n
  MLX_MAX_OPS_PER_BUFFER=$n timeout 150 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants affine4-blocks-fused affine4-blocks-fused-compiled --rounds 2 2>&1 | tail -5 | sed "s/^/ops=$n /" | tee -a $R/step_cost_ops_llama8b.log
done
fi
stamp end
touch $R/DONE
