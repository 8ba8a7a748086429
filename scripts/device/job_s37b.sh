#!/usr/bin/env bash
# H200 job (session 37, second): the 8B GPTQ stage again with gram tiling only the widest sums (GRAM_TILE 3584: the first
# job's gram bench put 4096-wide sums slower in blocks), with the XᵀX bench at that default. Same carry and collect as job_s37.sh.
set -u
source /tmp/common.sh
timeout 60 python3 benchmarks/bench_gram.py --widths 4096 14336 --rows 8192 --tiles 3584 4096 --json $R/gram_b.json 2>&1 | tee $R/gram_b.log
stamp pipeline-8b
timeout 300 python3 benchmarks/bench_pipeline.py --shape llama-8b --tokenizer /tmp/tok --work /tmp/bp8 --tf32 --stages write gptq --json $R/p8b_b.json 2>&1 | tee $R/p8b_b.log
rm -rf /tmp/bp8
stamp end
touch $R/DONE
