#!/usr/bin/env bash
# H200 job (session 40): a TurboQuant layer with one scale a row applies it to the product's outputs and looks its levels up in
# the activation dtype (no float32 weight scaled and cast each call): bench_decode.py on the 8B shape, affine4 and tq4-mlp,
# 512-token prefill, alternating the code before (b6231c8's package, carried as .gpu3/old/jang_research: copy it to
# /tmp/oldrepo) and after, two rounds. Carry: .gpu1, .gpu3, then .gpu2 with go.sh (JOB=job_s43.sh); collect.sh at once after.
set -u
source /tmp/common.sh
stamp check
# the new path on the GPU (prompts of more than 8 rows) against the dequantized weight, float32 and bfloat16 activations
cat > /tmp/check43.py <<'PY'
import jang_research, mlx.core as mx
from jang_research.inventory import QuantSpec
from jang_research.turboquant import tq_quantize, TurboQuantLinear, TurboQuantSwitchLinear
print(mx.default_device())
for group in (0, 64):
    w = mx.random.normal((1024, 2048), key=mx.random.key(1))
    t = tq_quantize(w, QuantSpec(4, group, 'tq', 'float16'), seed=3)
    x = mx.random.normal((32, 2048), key=mx.random.key(2))
    ref = x @ t.dequantize().T
    for dt in (mx.float32, mx.bfloat16):
        y = TurboQuantLinear.from_tqtensor(t)(x.astype(dt)).astype(mx.float32)
        print(f'dense group {group} {dt}: max |y - ref| / max |ref| = {(mx.abs(y - ref).max() / mx.abs(ref).max()).item():.2e}')
    we = mx.random.normal((8, 256, 512), key=mx.random.key(3))
    te = tq_quantize(we, QuantSpec(2, group, 'tq', 'float16'), seed=4)
    xs, idx = mx.random.normal((16, 1, 1, 512), key=mx.random.key(4)), mx.random.randint(0, 8, (16, 2), key=mx.random.key(5))
    ref = mx.gather_mm(xs, te.dequantize().swapaxes(-1, -2), rhs_indices=idx)
    for dt in (mx.float32, mx.bfloat16):
        if dt == mx.bfloat16 and mx.default_device() == mx.cpu: continue   # MLX's CPU gather_mm takes float32 only
        y = TurboQuantSwitchLinear.from_tqtensor(te)(xs.astype(dt), idx).astype(mx.float32)
        print(f'experts group {group} {dt}: max |y - ref| / max |ref| = {(mx.abs(y - ref).max() / mx.abs(ref).max()).item():.2e}')
PY
for v in old new; do
  if [ $v = old ]; then pp=/tmp/site:/tmp/oldrepo; else pp=/tmp/site:/tmp/repo; fi
  echo "== $v code" | tee -a $R/tq_rowscale_check_h200.log
  (cd /tmp && PYTHONPATH=$pp timeout 120 python3 /tmp/check43.py) 2>&1 | tee -a $R/tq_rowscale_check_h200.log
done
alternate_decode 2 decode_tq_rowscale_h200.log --shape llama-8b --variants affine4 tq4-mlp --steps 64 --prefill 512
stamp end
touch $R/DONE
