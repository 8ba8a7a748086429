#!/usr/bin/env bash
# The GPU tests job_s57.sh's first run left unreported (its filter kept 40 lines) or failed (a test named a family tiny_model lacks).
set -u
source /tmp/common.sh
T=tests/test_turboquant_gpu.py
stamp tests
gpu_tests gpu_tests_s57b.log 300 "$T::test_rotation_kernel_matches_mlx" "$T::test_tq_layers_rotate_in_kernel" "$T::test_paired_gemv_matches_float64" \
  "$T::test_fused_tq_blocks_decode_like_mlx" "$T::test_fused_tq_experts_decode_like_mlx"
stamp end
touch $R/DONE
