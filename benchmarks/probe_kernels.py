"""The decode GEMV workload for `bench_tq_gemv_ncu.sh`: each variant launched a few times on one activation row.

Usage: python benchmarks/probe_kernels.py OUTxIN BITS... (fp16 once; per bits: MLX affine g64, TurboQuant per-row and g64 on a pre-rotated activation)
"""
import sys
from jang_research.backend import mx
from jang_research.inventory import QuantSpec
from jang_research.turboquant import tq_quantize, tq_gemv_cuda, rotate
out, n = map(int, sys.argv[1].split('x'))
mx.random.seed(0)
W = mx.random.normal((out, n)) * 0.02
x = mx.random.normal((1, n)).astype(mx.float16)
W16 = W.astype(mx.float16)
e = mx.zeros((1,), mx.int32)
mx.eval(W16, x, e)
for _ in range(3): mx.eval(x @ W16.T)
for bits in map(int, sys.argv[2:]):
    wq, s, b = mx.quantize(W, group_size=64, bits=bits)
    s, b = s.astype(mx.float16), b.astype(mx.float16)
    tqs = [tq_quantize(W, QuantSpec(bits, g, 'tq'), seed=1) for g in (0, 64)]
    xr = rotate(x, tqs[0].signs, tqs[0].block)
    mx.eval(wq, s, b, xr, *[t.codes for t in tqs], *[t.scales for t in tqs])
    for _ in range(3):
        mx.eval(mx.quantized_matmul(x, wq, s, b, transpose=True, group_size=64, bits=bits))
        for t in tqs: mx.eval(tq_gemv_cuda(xr, e, t.codes[None], t.scales[None], t.codebook, bits, t.spec.group_size))
