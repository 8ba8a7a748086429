#!/usr/bin/env bash
# H200 job (session 33): GPTQ kernel tests (run-time sizes, stacked experts), bf16/fp16-vs-fp32 KL on SmolLM2 (its GGUF carried in
# two halves to /tmp/g3, /tmp/g4), the 8B write/GPTQ/decode with parts written on a thread, the stacked-expert bench, the 30B-A3B
# cut's GPTQ and decode, the loop bench, the small rungs, the 30B cut's sweep. Results under /tmp/res.
set -u
export PYTHONPATH=/tmp/site:/tmp/repo PYTHONUNBUFFERED=1 JANG_DATA=/tmp/repo/data MLX_ENABLE_TF32=1
R=/tmp/res
stamp() { echo "=== $(date +%H:%M:%S) $*"; }
stamp start; nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader
stamp pipeline-8b
python3 benchmarks/bench_pipeline.py --shape llama-8b --tokenizer /tmp/tok --work /tmp/bp8 --tf32 --stages write gptq decode --json $R/p8b.json 2>&1 | tee $R/p8b.log
rm -rf /tmp/bp8
stamp expert-bench
python3 benchmarks/bench_expert_gptq.py --shapes 32x768x2048 32x2048x768 --repeats 2 2>&1 | tee $R/expert_gptq.log
stamp pipeline-30b
timeout 600 python3 benchmarks/bench_pipeline.py --shape qwen3-30b-a3b --layers 16 --tokenizer /tmp/tok --work /tmp/bp30 --tf32 --stages write gptq decode --json $R/p30.json 2>&1 | tee $R/p30.log
stamp loop-bench
python3 benchmarks/bench_gptq_loop.py --bits 4 2>&1 | tee $R/gptq_loop.log
for s in smollm2-135m llama-1b; do
  stamp pipeline-$s
  python3 benchmarks/bench_pipeline.py --shape $s --tokenizer /tmp/tok --work /tmp/bp-$s --tf32 --json $R/p-$s.json 2>&1 | tee $R/p-$s.log
  rm -rf /tmp/bp-$s
done
stamp pipeline-30b-sensitivity
python3 benchmarks/bench_pipeline.py --shape qwen3-30b-a3b --layers 16 --tokenizer /tmp/tok --work /tmp/bp30 --tf32 --stages sensitivity allocate --json $R/p30s.json 2>&1 | tee $R/p30s.log
stamp end
touch $R/DONE
