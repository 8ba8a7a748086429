#!/usr/bin/env bash
# H200 job (prepared in session 42, when no machine was lent): (1) issue 13's 4.5 bpw plan calibrated on 64 x 256 windows of the
# float model's own samples (jr.quantize(calib_on='samples'); on this project's CPU 0.0769 -> 0.0690 untuned) and then tuned 1536
# steps on its own samples (session 40: 0.0767 -> 0.0682 with text calibration), fp32 without TF32: does the pair reach 0.06?
# (2) what job_s46.sh (never run; folded in here) held: the dequantization kernel's remaining GPU tests, and the 8B decode/prefill of float, affine 4-bit,
# the mixed plan (through MLX's layers and ours) and tq4-mlp.
# Carry: .gpu1, then .gpu3 and .gpu4 (SmolLM2's GGUF), then .gpu2 with go.sh (JOB=job_s47.sh); collect.sh at once after each call.
set -u
source /tmp/common.sh
cat /tmp/g3/smol.part.* /tmp/g4/smol.part.* > /tmp/SmolLM2-135M-Instruct.Q4_1.gguf && sha256sum /tmp/SmolLM2-135M-Instruct.Q4_1.gguf
stamp tuning-4.5-samples
MLX_ENABLE_TF32=0 timeout 900 python3 benchmarks/bench_tuning.py --model /tmp/SmolLM2-135M-Instruct.Q4_1.gguf --data generated \
  --sizes 4.5 --steps 1536 --calib-on samples --calib 64 256 --json $R/tuning_4.5_samples_h200.json 2>&1 | tee $R/tuning_4.5_samples_h200.log
stamp gpu-tests
timeout 300 python3 -m pytest -q -rA tests/test_turboquant_gpu.py -k "dequant_kernel or prompt_path" 2>&1 | tail -8 | tee $R/gpu_tests_h200_prompt_path.log
stamp decode
timeout 240 python3 benchmarks/bench_decode.py --shape llama-8b --variants float affine4 affine4-fused mixed mixed-fused tq4-mlp \
  --steps 64 --prefill 512 2>&1 | tee $R/decode_mixed_fused_h200.log
stamp end
touch $R/DONE
