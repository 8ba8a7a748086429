#!/usr/bin/env bash
# H200 job (session 48): issue 13's long-generation coherence table at 3.0 and 4.0 bpw, every row again on one device and one
# day, with the allocator's new default plans (options with scales on grids, per-tensor correction factors): float, uniform
# RTN, mlx-lm's mixed recipe and the JANG profile nearest in size, the RTN-only and the all-method allocator; 3-turn
# conversations of up to 1,024 tokens an answer, greedy and seeded sampling. Eleven shard processes share the GPU.
# Carry: .gpu1, then .gpu3 and .gpu4 (SmolLM2's GGUF), then .gpu2 with go.sh (JOB=job_s48.sh); collect.sh at once after each call.
set -u
source /tmp/common.sh
M=/tmp/SmolLM2-135M-Instruct.Q4_1.gguf
cat /tmp/g3/smol.part.* /tmp/g4/smol.part.* > $M && sha256sum $M
stamp samples-and-hessians
# the float model's own samples and their Hessians once, in the disk cache, before the shards read them
python3 -c "
import jang_research as jr
from jang_research.tuning import calibration_windows
from jang_research.calibration import model_hessians
m = jr.load('$M')
w = calibration_windows(m.model, m.tokenizer, 16, 256, on='samples', fingerprint=m.fingerprint)
model_hessians(m.model, m.tokenizer, m.fingerprint, windows=w)
print('samples and Hessians cached')
" 2>&1 | tail -2
stamp coherence
for k in $(seq 0 10); do
  timeout 1500 python3 benchmarks/bench_coherence.py --model $M --out $R/coherence --shard $k --shards 11 > $R/coherence_shard$k.log 2>&1 &
done
wait
cat $R/coherence_shard*.log | grep -v "^\s*$" | grep "temp" | tee $R/coherence_rows.log
python3 benchmarks/bench_coherence.py --out $R/coherence --table --json $R/coherence_smollm2_h200_s48.json 2>&1 | tee $R/coherence_smollm2_h200_s48.log
stamp end
touch $R/DONE
