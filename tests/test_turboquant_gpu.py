"The fused TurboQuant CUDA kernel agrees with the pure-MLX path (skipped without a CUDA GPU; run on the device)."
import numpy as np
import pytest
from jang_research.backend import mx
from jang_research.inventory import QuantSpec, TQ_BITS
from jang_research.turboquant import (tq_quantize, tq_gemv_cuda, cuda_available, TurboQuantLinear, TurboQuantSwitchLinear,
                                      KERNEL_MAX_ROWS)

pytestmark = pytest.mark.skipif(not cuda_available(), reason='needs MLX on a CUDA GPU')

def rel(a, b):
    "Relative error against a float64 reference computed on the host (the GPU's fp32 matmul may use TF32)."
    a, b = np.array(a.astype(mx.float32), np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))

def f64(a): return np.array(a.astype(mx.float32), np.float64)

@pytest.mark.parametrize('bits', TQ_BITS)
@pytest.mark.parametrize('group', [0, 32, 64])
@pytest.mark.parametrize('n', [576, 1536, 4096])
def test_kernel_matches_dequantized(bits, group, n):
    mx.random.seed(bits * 7 + group + n)
    t = tq_quantize(mx.random.normal((300, n)), QuantSpec(bits, group, 'tq', 'float16'), seed=bits)
    for dt in (mx.float32, mx.float16):
        xr = mx.random.normal((5, n)).astype(dt)
        y = tq_gemv_cuda(xr, mx.zeros((5,), mx.int32), t.codes[None], t.scales[None], t.codebook, bits, group)
        ref = f64(xr) @ f64(t.dequantize_rotated()).T
        assert mx.isfinite(y).all().item()
        assert rel(y, ref) < (2e-3 if dt == mx.float16 else 1e-5), (dt, rel(y, ref))

def test_layers_take_kernel_and_agree():
    mx.random.seed(0)
    t = tq_quantize(mx.random.normal((256, 1024)), QuantSpec(3, 0, 'tq', 'float32'), seed=5)
    lin = TurboQuantLinear.from_tqtensor(t)
    for rows in (1, KERNEL_MAX_ROWS, KERNEL_MAX_ROWS + 1):     # kernel, kernel, dequantize + matmul
        x = mx.random.normal((rows, 1024))
        assert rel(lin(x), f64(x) @ f64(t.dequantize()).T) < (1e-5 if rows <= KERNEL_MAX_ROWS else 1e-3)   # the matmul may use TF32
    te = tq_quantize(mx.random.normal((8, 192, 1024)), QuantSpec(2, 64, 'tq', 'float32'), seed=6)
    sw = TurboQuantSwitchLinear.from_tqtensor(te)
    x, idx = mx.random.normal((1, 1, 1, 1, 1024)), mx.array([[[3, 7]]])      # SwitchGLU at decode: (B, L, 1, 1, D), (B, L, k)
    W = f64(te.dequantize())
    ref = np.stack([f64(x)[0, 0, 0, 0] @ W[e].T for e in (3, 7)])[None, None, :, None, :]
    assert sw(x, idx).shape == ref.shape and rel(sw(x, idx), ref) < 1e-5

def test_kernel_rejects_mismatch():
    t = tq_quantize(mx.random.normal((64, 512)), QuantSpec(2, 0, 'tq'), seed=1)
    with pytest.raises(Exception, match='codes hold 512 input features'):
        tq_gemv_cuda(mx.ones((1, 256)), mx.zeros((1,), mx.int32), t.codes[None], t.scales[None], t.codebook, 2, 0)
