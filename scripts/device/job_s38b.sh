#!/usr/bin/env bash
# H200 job (session 38, second): job_s38.sh's tuning ran on RTN-only plans (SmolLM2 loaded from its GGUF's path did not find
# the shipped all-method table, which was keyed by name alone; shipped_table now matches by fingerprint). Here the
# all-method allocator's plans, 768 steps on the float model's own samples, fp32 without TF32. Same carry as job_s38.sh.
set -u
source /tmp/common.sh
cat /tmp/g3/smol.part.* /tmp/g4/smol.part.* > /tmp/SmolLM2-135M-Instruct.Q4_1.gguf && sha256sum /tmp/SmolLM2-135M-Instruct.Q4_1.gguf
stamp tuning
MLX_ENABLE_TF32=0 timeout 490 python3 benchmarks/bench_tuning.py --model /tmp/SmolLM2-135M-Instruct.Q4_1.gguf --data generated \
  --sizes 4.0 3.5 4.5 --steps 768 --json $R/tuning_all_h200.json 2>&1 | tee $R/tuning_all_h200.log
stamp end
touch $R/DONE
