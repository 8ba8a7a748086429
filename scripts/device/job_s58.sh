#!/usr/bin/env bash
# GPU job of session 53. Parts (PARTS="..." picks; they run in the order mmatests 8b gemv rotk kernels table moe):
#   mmatests  the tensor-core GEMV (gemv_mma.cu, GEMV_MMA): every affine and TurboQuant width x group x dense/experts x
#             fp16/bf16 against float64, launch settings, the block fusions, paired TurboQuant layers, fused llama blocks
#             decoding like mlx-lm (uniform, mixed widths, TurboQuant MLPs) and fused JANGTQ experts
#   rotk      the GPU tests job_s57.sh's run left unreported (rotation kernel, TurboQuant layers rotating by it, paired GEMV,
#             TurboQuant blocks and JANGTQ experts fused): they decide whether FUSE_TQ_MLP and TQ_ROTATE_KERNEL turn on
#   gemv      bench_affine_gemv.py: CUDA-core vs tensor-core kernel vs MLX at the 8B MLP shapes, widths 4 and 3
#   quick     (PARTS="quick 8b" when the budget is short) the decisive tensor-core tests only
#   8b        probe_step_cost.py, 8B: fused blocks with and without the tensor-core products, compiled or not; the mixed plan
#   kernels   probe_step_kernels.py: every kernel of a decode step under ncu (8B uniform / mixed, with -mma; TurboQuant MLPs)
#   table     bench_decode.py's 8B table with -mma variants; moe: the zaya1-like shape
# Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s58.sh).
set -u
source /tmp/common.sh
export PATH=$PATH:/usr/local/cuda/bin
PARTS=${PARTS:-"mmatests 8b gemv rotk kernels table moe"}
T=tests/test_turboquant_gpu.py
if [[ $PARTS == *mmatests* ]]; then
stamp mma-tests
gpu_tests gpu_tests_mma.log 210 "$T::test_mma_kernel_matches_dequantized" "$T::test_mma_tq_kernel_matches_dequantized" "$T::test_mma_kernel_launches" \
  "$T::test_block_fusions_match_float64" "$T::test_fused_blocks_decode_like_mlx[llama-mma]" "$T::test_fused_blocks_decode_like_mlx[llama-mixed-mma]" \
  "$T::test_paired_gemv_matches_float64" "$T::test_fused_tq_blocks_decode_like_mlx[llama-mma]" "$T::test_fused_tq_experts_decode_like_mlx[mixtral-mma]"
fi
if [[ $PARTS == *quick* ]]; then   # a short device budget: the kernels' decisive tests, then the 8B probe
stamp quick-tests
gpu_tests gpu_tests_mma.log 150 "$T::test_mma_kernel_matches_dequantized" "$T::test_mma_tq_kernel_matches_dequantized" "$T::test_fused_blocks_decode_like_mlx[llama-mma]"
fi
if [[ $PARTS == *8b* ]]; then
stamp llama-8b
timeout 240 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants affine4 affine4-blocks-compiled affine4-blocks-mma-compiled mixed-blocks-mma-compiled tq4-mlp-tqblocks-mma-compiled float --rounds 2 2>&1 | tee $R/step_cost_mma_llama8b.log
fi
if [[ $PARTS == *gemv* ]]; then
stamp gemv
timeout 120 python3 benchmarks/bench_affine_gemv.py --bits 4 3 --shapes 28672x4096 4096x14336 --rows-per-warp 2 --calls 50 2>&1 | tee $R/affine_gemv_mma.log
fi
if [[ $PARTS == *rotk* ]]; then
stamp tests
gpu_tests gpu_tests_s58.log 300 "$T::test_rotation_kernel_matches_mlx" "$T::test_tq_layers_rotate_in_kernel" "$T::test_paired_gemv_matches_float64" \
  "$T::test_fused_tq_blocks_decode_like_mlx" "$T::test_fused_tq_experts_decode_like_mlx"
fi
if [[ $PARTS == *kernels* ]]; then
stamp kernels-8b
which ncu || echo "no ncu on PATH"
timeout 400 python3 benchmarks/probe_step_kernels.py --shape llama-8b --variants affine4-blocks affine4-blocks-mma mixed-blocks-mma tq4-mlp-tqblocks tq4-mlp-tqblocks-mma 2>&1 | tee $R/step_kernels_llama8b.log
fi
if [[ $PARTS == *table* ]]; then
stamp table-8b
timeout 420 python3 benchmarks/bench_decode.py --shape llama-8b --variants float affine4 affine4-fused-compiled affine4-fused-mma-compiled mixed-fused-compiled mixed-fused-mma-compiled tq4-mlp-fused-mma-compiled tq4-mlp-tqfused-mma-compiled --json $R/decode_llama8b_mma.json 2>&1 | tee $R/decode_llama8b_mma.log
fi
if [[ $PARTS == *moe* ]]; then
stamp zaya1
timeout 300 python3 benchmarks/probe_step_cost.py --shape zaya1-like --variants affine-k affine-k-blocks-mma-compiled jangtq-k-tqblocks-compiled jangtq-k-tqblocks-mma-compiled float --rounds 3 2>&1 | tee $R/step_cost_mma_zaya1.log
fi
stamp end
touch $R/DONE
