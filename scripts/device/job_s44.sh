#!/usr/bin/env bash
# H200 job (session 41): prompts through quantized layers dequantize with a CUDA kernel (turboquant.dequantize_cuda, one pass
# over the codes writing the weight in the activation dtype) and multiply with MLX's matmul. (1) the kernel's GPU tests;
# (2) bench_prefill_dequant.py per tensor; (3) bench_decode.py on the 8B shape (affine4, affine4-fused, tq4-mlp; 512-token
# prefill), alternating the code before (f3d88a2's package, carried as .gpu3/old: copy it to /tmp/oldrepo) and after, two rounds.
# Carry: .gpu1, .gpu3, then .gpu2 with go.sh (JOB=job_s44.sh); collect.sh at once after.
set -u
source /tmp/common.sh
stamp gpu-tests
timeout 300 python3 -m pytest -q -x tests/test_turboquant_gpu.py -k "dequant or prompt_path or layers_take_kernel or fused_layers_agree" 2>&1 \
  | tee $R/gpu_tests_h200_dequant.log
stamp prefill-per-tensor
timeout 150 python3 benchmarks/bench_prefill_dequant.py 2>&1 | tee $R/prefill_dequant_h200.log
alternate_decode 2 decode_prefill_kernel_h200.log --shape llama-8b --variants affine4 affine4-fused tq4-mlp --steps 64 --prefill 512
stamp end
touch $R/DONE
