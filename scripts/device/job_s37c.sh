#!/usr/bin/env bash
# H200 job (session 37, third): the streamed sweep running its perturbed states through each block 16 at a time
# (streaming.STATE_BATCH) against one at a time, on a 12-block cut of the Qwen3-30B-A3B shape (the whole 48-block sweep took
# 641.5 s one at a time, job_s37.sh). Same carry and collect as job_s37.sh. Ran at code 8b40c42; 16 at a time was not faster
# (86.6 s, the first run, against 55.7 s), so STATE_BATCH and bench_pipeline --state-batch were taken out again after it.
set -u
source /tmp/common.sh
timeout 200 python3 benchmarks/bench_pipeline.py --shape qwen3-30b-a3b --layers 12 --tokenizer /tmp/tok --work /tmp/bp30 --tf32 --stages write sensitivity --json $R/p30s.json 2>&1 | tee $R/p30s.log
stamp one-at-a-time
timeout 200 python3 benchmarks/bench_pipeline.py --shape qwen3-30b-a3b --layers 12 --tokenizer /tmp/tok --work /tmp/bp30 --tf32 --state-batch 1 --stages sensitivity --json $R/p30s1.json 2>&1 | tee $R/p30s1.log
stamp end
touch $R/DONE
