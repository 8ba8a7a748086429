#!/usr/bin/env bash
# H200 job (next): the GPU tests (the TurboQuant experts through the kernel for the first time), the 8B GPTQ stage with and without a
# block's same-width Hessians factored together (session 34: 53.2 s of factoring with it, 42.8 s without it the run before; one
# run each, on two machines), then the JANGTQ_K recipe on the 30B-A3B 16-block cut (its experts' TurboQuant GPTQ now runs a stack
# together) and its decode. Results under /tmp/res. Carry: .gpu1 then .gpu2 (prepare.sh), go.sh with JOB=job_s35.sh, then
# collect.sh at once after each call (~30 s idle window).
set -u
source /tmp/common.sh
timeout 300 python3 -m pytest tests/test_gptq_gpu.py -q -p no:cacheprovider 2>&1 | tee $R/gpu_tests_gptq.log | tail -4
stamp pipeline-8b-together
timeout 420 python3 benchmarks/bench_pipeline.py --shape llama-8b --tokenizer /tmp/tok --work /tmp/bp8 --tf32 --stages write gptq --json $R/p8b.json 2>&1 | tee $R/p8b.log
stamp pipeline-8b-alone
timeout 420 python3 benchmarks/bench_pipeline.py --shape llama-8b --tokenizer /tmp/tok --work /tmp/bp8 --tf32 --factor-alone --stages gptq decode --json $R/p8b_alone.json 2>&1 | tee $R/p8b_alone.log
rm -rf /tmp/bp8
stamp pipeline-30b-jangtq
timeout 900 python3 benchmarks/bench_pipeline.py --shape qwen3-30b-a3b --layers 16 --tokenizer /tmp/tok --work /tmp/bp30 --tf32 --stages write jangtq decode --json $R/p30j.json 2>&1 | tee $R/p30j.log
stamp end
touch $R/DONE
