#!/usr/bin/env bash
# H200 job (prepared in session 41, not run: no machine was lent after job_s45; for the next session): (1) the dequantization
# kernel's GPU tests that job_s45 did not reach (the layer-level prompt path, the rest of the affine widths; the tests now build
# one kernel per dtype); (2) the 8B shape's float (bf16), uniform affine 4-bit and the mixed plan (attention 8-bit, MLP 3/4/5/6-bit
# by layer, head 6-bit) through MLX's layers and through ours (-fused: the layers of >= 16 MiB), and tq4-mlp, in one run: issue
# 17's "mixed plan >= 1.0x uniform 4-bit" and affine-through-our-layers against bf16, with 512-token prefill.
# Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s46.sh); collect.sh at once after.
set -u
source /tmp/common.sh
stamp gpu-tests
timeout 300 python3 -m pytest -q -rA tests/test_turboquant_gpu.py -k "dequant_kernel or prompt_path" 2>&1 | tail -8 | tee $R/gpu_tests_h200_prompt_path.log
stamp decode
timeout 240 python3 benchmarks/bench_decode.py --shape llama-8b --variants float affine4 affine4-fused mixed mixed-fused tq4-mlp \
  --steps 64 --prefill 512 2>&1 | tee $R/decode_mixed_fused_h200.log
stamp end
touch $R/DONE
