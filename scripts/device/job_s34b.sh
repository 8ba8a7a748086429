#!/usr/bin/env bash
# H200 job (session 34, the budget's last ~5 min): the JANGTQ_K recipe on the 30B-A3B shape with the routed experts' TurboQuant GPTQ
# run together (tq_gptq_quantize_experts; one expert at a time the 16-block cut's jangtq stage ran past 8 minutes), on a 2-block
# cut, then its bundle decoded; then the GPU tests of the TurboQuant GPTQ paths. Every step under a timeout (the budget is short).
set -u
source /tmp/common.sh
stamp pipeline-30b-jangtq
timeout 125 python3 benchmarks/bench_pipeline.py --shape qwen3-30b-a3b --layers 2 --tokenizer /tmp/tok --work /tmp/bp30 --tf32 --stages write jangtq decode --json $R/p30j.json 2>&1 | tee $R/p30j.log
stamp gpu-tests-tq
timeout 40 python3 -m pytest tests/test_gptq_gpu.py -q -p no:cacheprovider -k tq_gptq 2>&1 | tee $R/gpu_tests_tq.log | tail -4
stamp end
touch $R/DONE
