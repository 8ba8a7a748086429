#!/usr/bin/env bash
# H200 job (session 38): (1) the scales of the all-method allocator's SmolLM2 plans tuned on the float model's own samples for
# many more steps than this CPU allows (bench_tuning.py --data generated; CPU, 96 steps: 3.5 bpw 0.3247, 4.0 bpw 0.1578),
# fp32 without TF32 so the KL is the CPU's fake-quant number; SmolLM2's GGUF carried in two halves to /tmp/g3, /tmp/g4.
# (2) the whole 48-block Qwen3-30B-A3B shape's JANGTQ_K stage and decode (session 37 lost them when the machine went back),
# its 61 GB bf16 source on the RAM disk. Carry .gpu1, .gpu3, .gpu4, then .gpu2 with go.sh (JOB=job_s38.sh), then collect.sh
# at once after each call.
set -u
source /tmp/common.sh
cat /tmp/g3/smol.part.* /tmp/g4/smol.part.* > /tmp/SmolLM2-135M-Instruct.Q4_1.gguf && sha256sum /tmp/SmolLM2-135M-Instruct.Q4_1.gguf
stamp tuning
MLX_ENABLE_TF32=0 timeout 780 python3 benchmarks/bench_tuning.py --model /tmp/SmolLM2-135M-Instruct.Q4_1.gguf --data generated \
  --sizes 4.0 3.5 4.5 --steps 256 1024 --json $R/tuning_h200.json 2>&1 | tee $R/tuning_h200.log
stamp pipeline-30b-full
run_30b_full write jangtq decode
stamp end
touch $R/DONE
