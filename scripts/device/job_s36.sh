#!/usr/bin/env bash
# H200 job (session 36): the device factor's diagonal blocks by the chol_block.cu kernel (no host round trip a panel) —
# its GPU tests, the factor bench with the blocks on the host and by the kernel side by side, then the 8B GPTQ stage and the
# 30B-A3B 16-block JANGTQ_K stage with the kernel (session 35 without it: 8B GPTQ 144.5 s with factor 39.1 s; JANGTQ_K 281.0 s
# with factor 192.7 s). Results under /tmp/res. Carry: .gpu1 then .gpu2 (prepare.sh), go.sh with JOB=job_s36.sh, then
# collect.sh at once after each call (~30 s idle window).
set -u
source /tmp/common.sh
timeout 300 python3 -m pytest tests/test_gptq_gpu.py -q -p no:cacheprovider 2>&1 | tee $R/gpu_tests_gptq.log | tail -4
stamp factor-bench
timeout 240 python3 benchmarks/bench_gptq_factor.py --widths 2048 4096 14336 --panels 256 128 --diag device host --json $R/factor.json 2>&1 | tee $R/factor.log
stamp pipeline-8b
timeout 300 python3 benchmarks/bench_pipeline.py --shape llama-8b --tokenizer /tmp/tok --work /tmp/bp8 --tf32 --stages write gptq --json $R/p8b.json 2>&1 | tee $R/p8b.log
rm -rf /tmp/bp8
stamp pipeline-30b-jangtq
timeout 400 python3 benchmarks/bench_pipeline.py --shape qwen3-30b-a3b --layers 16 --tokenizer /tmp/tok --work /tmp/bp30 --tf32 --stages write jangtq --json $R/p30j.json 2>&1 | tee $R/p30j.log
stamp end
touch $R/DONE
