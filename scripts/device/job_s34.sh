#!/usr/bin/env bash
# H200 job (next): what session 33 changed, measured — GPTQ tests (stacked expert factors on the device), where the device factor's
# time goes and what stacking saves (probe_factor_steps.py), the 8B GPTQ with a block's same-width Hessians factored together, parts and
# carried states written on a thread (phases: prepare, outside, assemble, write_wait), the stacked-expert bench with its factor
# seconds, the 30B-A3B cut's GPTQ with expert_factors, then its JANGTQ_K bundle and decode. Results under /tmp/res.
# Carry: .gpu1 then .gpu2 (prepare.sh), go.sh with JOB=job_s34.sh, then collect.sh at once after each call (~30 s idle window).
set -u
source /tmp/common.sh
python3 -m pytest tests/test_gptq_gpu.py -q -p no:cacheprovider 2>&1 | tee $R/gpu_tests_gptq.log | tail -4
stamp factor-probe
python3 benchmarks/probe_factor_steps.py 2>&1 | tee $R/factor_steps.log
stamp pipeline-8b
python3 benchmarks/bench_pipeline.py --shape llama-8b --tokenizer /tmp/tok --work /tmp/bp8 --tf32 --stages write gptq decode --json $R/p8b.json 2>&1 | tee $R/p8b.log
rm -rf /tmp/bp8
stamp expert-bench
python3 benchmarks/bench_expert_gptq.py --shapes 128x768x2048 128x2048x768 --repeats 2 2>&1 | tee $R/expert_gptq.log
stamp pipeline-30b
timeout 900 python3 benchmarks/bench_pipeline.py --shape qwen3-30b-a3b --layers 16 --tokenizer /tmp/tok --work /tmp/bp30 --tf32 --stages write gptq decode jangtq decode --json $R/p30.json 2>&1 | tee $R/p30.log
stamp end
touch $R/DONE
