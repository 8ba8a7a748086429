#!/usr/bin/env bash
# GPU job of session 54, most telling first (the device budget often ends a job early):
#   gemv-ncu   Nsight Compute's occupancy, scheduler and memory sections of single GEMV calls, 3 and 4 bits, CUDA-core
#              (1 and 2 rows a warp) and tensor-core, at 8B shapes (probe_gemv_ncu.py)
#   sizes      the 4-bit GEMV at 1024 ... 28672 rows of 4096: a call's fixed cost and its bandwidth once streaming (session
#              54's two H100 points, 28672x4096 and 4096x14336, fit 9.1 us + 0.39 us/MB; if the fixed cost is real, the 8B
#              step's four GEMVs a layer spend about a third of the step on it)
#   rpw        the CUDA-core GEMV's rows a warp (1, 2, 4) at every 8B product and the widths a mixed plan uses
#              (probe_occupancy.py, no GPU: 2 rows leave o/down at 15.5 resident warps an SM, 3/5-bit down at 16 or fewer)
#   loads64    the same kernel with 64 registers of code loads in flight instead of 192, beside it as the baseline
#   mixed4     the 8B step with bench_decode.py's mixed4 plan (affine4's bytes, mixed widths) against uniform 4-bit
#   kernels    every kernel of a fused 8B decode step under ncu (what bounds the step at 37% of bandwidth)
#   mmatests   the tensor-core GEMV's cases that reach a warp's ragged last load group (fixed in gemv_mma.cu)
# Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s59.sh); PARTS="..." picks parts (default all, in the order above).
set -u
source /tmp/common.sh
export PATH=$PATH:/usr/local/cuda/bin
PARTS=${PARTS:-"gemv-ncu sizes rpw loads64 mixed4 kernels mmatests"}
T=tests/test_turboquant_gpu.py
if [[ $PARTS == *gemv-ncu* ]]; then
stamp gemv-ncu
timeout 300 python3 benchmarks/probe_gemv_ncu.py --shapes 28672x4096 4096x14336 4096x4096 --bits 3 4 --rows-per-warp 1 2 --tensor-core \
  --raw $R/gemv_ncu_raw.json 2>&1 | tee $R/gemv_ncu.log
fi
if [[ $PARTS == *sizes* ]]; then
stamp sizes
timeout 120 python3 benchmarks/bench_affine_gemv.py --bits 4 --shapes 1024x4096 2048x4096 4096x4096 8192x4096 16384x4096 28672x4096 \
  --rows-per-warp 1 2 --calls 50 --no-tensor-core 2>&1 | tee $R/affine_gemv_sizes.log
python3 benchmarks/fit_gemv_sizes.py $R/affine_gemv_sizes.log 2>&1 | tee $R/affine_gemv_sizes_fit.log
fi
if [[ $PARTS == *rpw* ]]; then
stamp rows-per-warp
timeout 240 python3 benchmarks/bench_affine_gemv.py --bits 3 4 5 8 --shapes 4096x4096 4096x14336 6144x4096 28672x4096 --rows-per-warp 1 2 4 \
  --calls 50 --no-tensor-core 2>&1 | tee $R/affine_gemv_rpw.log
fi
if [[ $PARTS == *loads64* ]]; then
stamp loads64
sed 's#192 / (RPW#64 / (RPW#g' jang_research/tq_gemv.cu > /tmp/loads64.cu
timeout 150 python3 benchmarks/bench_affine_gemv.py --bits 3 5 8 --shapes 4096x14336 28672x4096 --rows-per-warp 1 2 --calls 50 --no-tensor-core \
  --baseline /tmp/loads64.cu 2>&1 | tee $R/affine_gemv_loads64.log
fi
if [[ $PARTS == *mixed4* ]]; then
stamp llama-8b-mixed4
timeout 200 python3 benchmarks/probe_step_cost.py --shape llama-8b --variants affine4-blocks-compiled mixed4-blocks-compiled mixed-blocks-compiled affine4 \
  --rounds 3 2>&1 | tee $R/step_cost_mixed4_llama8b.log
fi
if [[ $PARTS == *kernels* ]]; then
stamp kernels-8b
which ncu || echo "no ncu on PATH"
timeout 400 python3 benchmarks/probe_step_kernels.py --shape llama-8b --variants affine4-blocks mixed4-blocks tq4-mlp-tqblocks 2>&1 | tee $R/step_kernels_llama8b.log
fi
if [[ $PARTS == *mmatests* ]]; then
stamp mma-ragged
gpu_tests gpu_tests_mma_ragged.log 200 "$T::test_mma_tq_kernel_matches_dequantized" "$T::test_mma_kernel_matches_dequantized" -k "16- or 6-"
fi
stamp end
touch $R/DONE
