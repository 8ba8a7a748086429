#!/usr/bin/env bash
# H200 job (prepared in session 38 for the next one): (1) the all-method allocator's SmolLM2 plans at 3.5 and 4.5 bpw tuned
# 768 steps on the float model's own samples (session 38 measured 4.0 bpw: 0.1753 -> 0.1459), fp32 without TF32; (2) the whole
# 48-block Qwen3-30B-A3B shape's JANGTQ_K bundle decoded again with the stacked TurboQuant experts' pair path and ordered
# dequantization (session 38: 44.9 tok/s at a 118.5 GB device peak). Carry as job_s38.sh: .gpu1, .gpu3, .gpu4, then .gpu2
# with go.sh (JOB=job_s39.sh), then collect.sh at once after each call.
set -u
source /tmp/common.sh
cat /tmp/g3/smol.part.* /tmp/g4/smol.part.* > /tmp/SmolLM2-135M-Instruct.Q4_1.gguf && sha256sum /tmp/SmolLM2-135M-Instruct.Q4_1.gguf
stamp tuning
MLX_ENABLE_TF32=0 timeout 700 python3 benchmarks/bench_tuning.py --model /tmp/SmolLM2-135M-Instruct.Q4_1.gguf --data generated \
  --sizes 3.5 4.5 --steps 768 --json $R/tuning_all_h200.json 2>&1 | tee $R/tuning_all_h200.log
stamp pipeline-30b-full
run_30b_full write jangtq decode
stamp end
touch $R/DONE
