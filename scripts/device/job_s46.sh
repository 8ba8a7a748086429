#!/usr/bin/env bash
# H200 job (prepared in session 41, not run: no machine was lent after job_s45; for the next session): (1) the layer-level GPU test of the prompt path (job_s45 ran out of
# time before it); (2) the 8B shape's mixed plan (attention 8-bit, MLP 3/4/5/6-bit by layer, head 6-bit) through MLX's layers
# and through ours (-fused: its layers of >= 16 MiB), next to uniform affine 4-bit; 512-token prefill. Short limits: little
# device time was left. Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s46.sh).
set -u
source /tmp/common.sh
stamp gpu-tests
timeout 60 python3 -m pytest -q -rA tests/test_turboquant_gpu.py -k "prompt_path or dequant_kernel_rejects" 2>&1 | tail -6 | tee $R/gpu_tests_h200_prompt_path.log
stamp decode
timeout 150 python3 benchmarks/bench_decode.py --shape llama-8b --variants affine4 mixed mixed-fused --steps 64 --prefill 512 2>&1 | tee $R/decode_mixed_fused_h200.log
stamp end
touch $R/DONE
