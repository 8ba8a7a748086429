#!/usr/bin/env bash
# H200 job (session 33): GPTQ kernel tests (run-time sizes, stacked experts), bf16/fp16-vs-fp32 KL on SmolLM2 (its GGUF carried in
# two halves to /tmp/g3, /tmp/g4), the 8B write/GPTQ/decode with parts written on a thread, the stacked-expert bench, the 30B-A3B
# cut's GPTQ and decode, the loop bench, the small rungs, the 30B cut's sweep. Results under /tmp/res. (Its second run, after the device
# machine went idle, was this job less the tests and the precision steps: pipeline_h200_s33.log.)
set -u
source /tmp/common.sh
python3 -m pytest tests/test_gptq_gpu.py -q -p no:cacheprovider 2>&1 | tee $R/gpu_tests_gptq.log | tail -8
stamp precision
cat /tmp/g3/smol.part.* /tmp/g4/smol.part.* > /tmp/SmolLM2-135M-Instruct.Q4_1.gguf && sha256sum /tmp/SmolLM2-135M-Instruct.Q4_1.gguf
MLX_ENABLE_TF32=0 python3 benchmarks/bench_precision.py --model /tmp/SmolLM2-135M-Instruct.Q4_1.gguf --windows 32 --window-len 256 --json $R/prec_smol.json 2>&1 | tee $R/prec_smol.log
MLX_ENABLE_TF32=1 python3 benchmarks/bench_precision.py --model /tmp/SmolLM2-135M-Instruct.Q4_1.gguf --windows 32 --window-len 256 --dtypes float32 bfloat16 --json $R/prec_smol_tf32.json 2>&1 | tee $R/prec_smol_tf32.log
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
