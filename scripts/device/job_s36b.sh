#!/usr/bin/env bash
# H200 job (session 36, the last minutes of device time): the 8B GPTQ stage with the chol_block.cu kernel and every Hessian
# factored alone (--factor-alone), beside job_s36.sh's run with factor_together (124.2 s). Carry and collect as job_s36.sh.
set -u
source /tmp/common.sh
stamp pipeline-8b-alone
timeout 250 python3 benchmarks/bench_pipeline.py --shape llama-8b --tokenizer /tmp/tok --work /tmp/bp8 --tf32 --factor-alone --stages write gptq --json $R/p8b_alone.json 2>&1 | tee $R/p8b_alone.log
stamp end
touch $R/DONE
