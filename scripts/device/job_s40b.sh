#!/usr/bin/env bash
# H200 job (session 39, third): how far bfloat16 scoring moves Gemma-3-270M's KL against float32 on the GPU (the issue asks
# for SmolLM2 and Gemma; SmolLM2 ran on the H200 in session 33, Gemma only on the CPU). Gemma's 253 MB GGUF travels in five
# parts (.gpu5 ... .gpu9, each copied to /tmp/g5 ... /tmp/g9 by its own call), then .gpu1 and .gpu2 with go.sh
# (JOB=job_s40b.sh). float16 is left out (the CPU run measured it). Session 39 ran it with the session's last 300 s: float32
# alone took 198.7 s (slower than the CPU's 120.9 s), bfloat16 was cut off; run it first in a session, with --window-len 64 or
# a longer timeout. Since then token_metrics computes on the device where MLX runs on a GPU (suspected: the host path's
# copies and numpy passes over Gemma's 262k-wide logits); probe_token_metrics.py measures both paths there first (gemma_precision in common.sh).
set -u
source /tmp/common.sh
gemma_precision 520
stamp end
touch $R/DONE
