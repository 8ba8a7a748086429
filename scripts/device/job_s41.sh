#!/usr/bin/env bash
# H200 job (prepared in session 39 for the next one): (1) evaluation's per-token metrics on the host and on the device
# (probe_token_metrics.py), then Gemma-3-270M scored in float32 and bfloat16 (the GPU measurement for Gemma; session
# 39's attempt, job_s40b.sh, was cut off after float32 took 198.7 s with the host path); (2) the all-method 4.5 bpw plan tuned
# 768 and 1536 steps on the float model's own samples (768 steps: 0.0767 -> 0.0692; the target is 0.06), fp32 without TF32.
# Carry: .gpu1, then .gpu3 and .gpu4 (SmolLM2's GGUF), then .gpu5 ... .gpu9 (Gemma's, one call each), then .gpu2 with go.sh
# (JOB=job_s41.sh); collect.sh at once after each call.
set -u
source /tmp/common.sh
cat /tmp/g3/smol.part.* /tmp/g4/smol.part.* > /tmp/SmolLM2-135M-Instruct.Q4_1.gguf && sha256sum /tmp/SmolLM2-135M-Instruct.Q4_1.gguf
gemma_precision 400
stamp tuning-4.5
MLX_ENABLE_TF32=0 timeout 900 python3 benchmarks/bench_tuning.py --model /tmp/SmolLM2-135M-Instruct.Q4_1.gguf --data generated \
  --sizes 4.5 --steps 768 1536 --json $R/tuning_4.5_long_h200.json 2>&1 | tee $R/tuning_4.5_long_h200.log
stamp end
touch $R/DONE
