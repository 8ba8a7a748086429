#!/usr/bin/env bash
# H200 job (session 40): TurboQuant's codes looked up a byte at a time (lookup_codes) against the shifts before it, on the GPU, where
# every call of more than 8 rows (a prompt) dequantizes through it: (1) probe_tq_lookup.py (the same values? ms a tensor);
# (2) bench_decode.py on the 8B shape, affine4 and tq4-mlp, 512-token prefill, alternating the code before (carried in
# .gpu2/old/jang_research, from 11b4896; go.sh puts it in /tmp/oldrepo) and after, two rounds. Carry: .gpu1, then .gpu2 with go.sh (JOB=job_s42.sh); collect.sh at once after.
set -u
source /tmp/common.sh
stamp probe-lookup
timeout 120 python3 benchmarks/probe_tq_lookup.py 2>&1 | tee $R/tq_lookup_h200.log
alternate_decode 2 decode_tq_lookup_h200.log --shape llama-8b --variants affine4 tq4-mlp --steps 64 --prefill 512
stamp end
touch $R/DONE
