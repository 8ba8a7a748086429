#!/usr/bin/env bash
# H200 job (session 39, second): the whole 48-block Qwen3-30B-A3B shape through GPTQ (uniform 4-bit g64 for every block
# tensor, RTN for the embedding and head), its bundle decoded. Carry .gpu1 then .gpu2 with go.sh (JOB=job_s40.sh).
set -u
source /tmp/common.sh
stamp pipeline-30b-full-gptq
run_30b_full write gptq decode
stamp end
touch $R/DONE
