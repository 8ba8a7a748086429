"The fused CUDA decode kernel (TurboQuant and MLX affine codes) agrees with float64 references and the pure-MLX path (skipped without a CUDA GPU; run on the device)."
import numpy as np
import pytest
from jang_research.backend import mx
from jang_research.backend import nn
from jang_research.inventory import QuantSpec, TQ_BITS, AFFINE_BITS
from jang_research.affine import unpack_codes
from jang_research.turboquant import (tq_quantize, tq_gemv_cuda, quant_gemv_cuda, cuda_available, TurboQuantLinear, TurboQuantSwitchLinear,
                                      dequantize_cuda, tq_dequantize_rotated,
                                      KERNEL_MAX_ROWS, FusedQuantizedLinear, FusedQuantizedSwitchLinear, fuse_layers)

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

TOL = {mx.float32: 1e-5, mx.float16: 2e-3, mx.bfloat16: 1e-2}   # the output is rounded to the activation dtype

@pytest.mark.parametrize('bits', AFFINE_BITS)
@pytest.mark.parametrize('group', [32, 64, 128])
@pytest.mark.parametrize('experts', [1, 6])
def test_affine_kernel_matches_dequantized(bits, group, experts):
    mx.random.seed(bits * 11 + group + experts)
    n, out = (4096, 320) if experts == 1 else (1024, 192)
    for dt in (mx.float32, mx.float16, mx.bfloat16):
        wq, s, b = mx.quantize(mx.random.normal((experts, out, n)).astype(dt), group_size=group, bits=bits)
        W = f64(mx.dequantize(wq, s, b, group_size=group, bits=bits))
        rows = 5 if experts == 1 else 4
        x = mx.random.normal((rows, n)).astype(dt)
        idx = mx.array([0, 0, 0, 0, 0] if experts == 1 else [5, 0, 3, 5], mx.int32)
        y = quant_gemv_cuda(x, idx, wq, s, b, bits, group, True)
        ref = np.stack([f64(x)[p] @ W[e].T for p, e in enumerate(idx.tolist())])
        assert y.dtype == dt and mx.isfinite(y).all().item()
        assert rel(y, ref) < TOL[dt], (dt, rel(y, ref))

def mma_calls(monkeypatch) -> list:
    "Turn GEMV_MMA on for this test; the list each tensor-core kernel configuration made is appended to (the kernel was used)."
    import jang_research.turboquant as tq
    monkeypatch.setattr(tq, 'GEMV_MMA', True)
    made, real = [], tq.config_mma_kernel
    def counting(*args, **kw):
        made.append(args)
        return real(*args, **kw)
    monkeypatch.setattr(tq, 'config_mma_kernel', counting)
    return made

def mma_matches(monkeypatch, weights, idx:list, n:int) -> None:
    "With GEMV_MMA on, for fp16 and bf16: weights(dtype) -> (W float64 (experts, out, n), product(x, experts)); the product of len(idx) random rows, row p by expert idx[p], against float64 — answered by the tensor-core kernel."
    made = mma_calls(monkeypatch)
    for dt in (mx.float16, mx.bfloat16):
        W, product = weights(dt)
        x = mx.random.normal((len(idx), n)).astype(dt)
        y = product(x, mx.array(idx, mx.int32))
        ref = np.stack([f64(x)[p] @ W[e].T for p, e in enumerate(idx)])
        assert y.dtype == dt and mx.isfinite(y).all().item()
        assert rel(y, ref) < TOL[dt], (dt, rel(y, ref))
    assert len(made) == 2   # one configuration a dtype: the tensor-core kernel answered

@pytest.mark.parametrize('bits', AFFINE_BITS)
@pytest.mark.parametrize('group', [32, 64, 128])
@pytest.mark.parametrize('experts', [1, 6])
def test_mma_kernel_matches_dequantized(bits, group, experts, monkeypatch):
    "The tensor-core GEMV (GEMV_MMA): every affine width and group, dense and stacked experts, bf16 and fp16 activations, row counts no tile divides; experts' rows of 1536 inputs split into runs no warp count divides (g128: 12 runs, 8 warps) or in load groups past a warp's runs (g32: 6 runs a warp, loaded 4 at a time)."
    mx.random.seed(bits * 13 + group + experts)
    n, out = (4096, 328) if experts == 1 else (1536, 200)
    def weights(dt):
        wq, s, b = mx.quantize(mx.random.normal((experts, out, n)).astype(dt), group_size=group, bits=bits)
        return f64(mx.dequantize(wq, s, b, group_size=group, bits=bits)), lambda x, idx: quant_gemv_cuda(x, idx, wq, s, b, bits, group, True)
    mma_matches(monkeypatch, weights, [0, 0, 0] if experts == 1 else [5, 0, 3, 5], n)

@pytest.mark.parametrize('bits', TQ_BITS)
@pytest.mark.parametrize('group', [0, 32, 64])
@pytest.mark.parametrize('experts', [1, 16])
def test_mma_tq_kernel_matches_dequantized(bits, group, experts, monkeypatch):
    "The tensor-core GEMV of TurboQuant codes (levels looked up two at a time): every width, one scale a row or groups, dense and stacked experts, bf16 and fp16."
    from jang_research.turboquant import tq_dequantize_rotated
    mx.random.seed(bits * 17 + group + experts)
    n, out = (4096, 328) if experts == 1 else (1536, 200)
    t = tq_quantize(mx.random.normal((experts, out, n) if experts > 1 else (out, n)), QuantSpec(bits, group, 'tq', 'float16'), seed=bits)
    W = np.array(tq_dequantize_rotated(t.codes, t.scales, t.codebook, bits, group), np.float64)
    product = lambda x, idx: quant_gemv_cuda(x, idx, t.codes, t.scales, t.codebook.astype(mx.float32), bits, group, False)
    mma_matches(monkeypatch, lambda dt: (W if experts > 1 else W[None], product), [0, 0, 0] if experts == 1 else [15, 0, 7], n)

@pytest.mark.parametrize('n,out,tiles,warps', [(4096, 16400, None, None), (256, 96, None, None), (2048, 1000, 2, 4), (14336, 512, 1, 8)])
def test_mma_kernel_launches(n, out, tiles, warps, monkeypatch):
    "The tensor-core GEMV's launch settings: two tiles a block (16384 rows and more; a row count no 32 divides), fewer groups than warps, explicit settings; 4-bit bf16."
    from jang_research.turboquant import mma_gemv_cuda
    mx.random.seed(n + out)
    wq, s, b = mx.quantize(mx.random.normal((out, n)).astype(mx.bfloat16), group_size=64, bits=4)
    W = f64(mx.dequantize(wq, s, b, group_size=64, bits=4))
    x = mx.random.normal((1, 2, n)).astype(mx.bfloat16)
    y = mma_gemv_cuda(x, mx.zeros((2,), mx.int32), wq, s, b, 4, 64, warps=warps, tiles=tiles)
    assert y.shape == (1, 2, out) and rel(y[0], f64(x)[0] @ W.T) < TOL[mx.bfloat16], rel(y[0], f64(x)[0] @ W.T)

def test_fused_layers_agree_with_mlx():
    mx.random.seed(1)
    lin = nn.QuantizedLinear(2048, 512, bias=True, group_size=64, bits=3)
    lin.bias = mx.random.normal((512,))
    x = mx.random.normal((1, 2, 2048)).astype(mx.bfloat16)
    ref = lin(x.astype(mx.float32))
    lin.__class__ = FusedQuantizedLinear
    for rows in (1, 2):
        assert rel(lin(x[:, :rows]), f64(ref[:, :rows])) < 1e-2
    from mlx_lm.models.switch_layers import QuantizedSwitchLinear
    sw = QuantizedSwitchLinear(1024, 384, 8, bias=False, group_size=32, bits=5)
    xe, idx = mx.random.normal((1, 1, 1, 1, 1024)), mx.array([[[3, 7, 1]]])    # SwitchGLU at decode
    ref = sw(xe, idx)
    sw.__class__ = FusedQuantizedSwitchLinear
    assert sw(xe, idx).shape == ref.shape and rel(sw(xe, idx), f64(ref)) < 1e-5

def test_fused_model_decodes_like_mlx():
    from jang_research.testing import tiny_model
    from jang_research.inventory import inventory, uniform_plan
    from jang_research.methods import float_weights, quantize_weights, to_quantized_model
    model = tiny_model('llama')
    plan = uniform_plan(inventory(model), 4, 64)
    to_quantized_model(model, quantize_weights(float_weights(model), plan), plan)
    tokens = mx.array([[3, 17, 42, 9]])
    ref = model(tokens[:, -1:])
    assert fuse_layers(model, min_bytes=0) > 0
    assert rel(model(tokens[:, -1:]), f64(ref)) < 1e-4

@pytest.mark.parametrize('bits', TQ_BITS)
@pytest.mark.parametrize('group', [0, 32, 128])
def test_dequant_kernel_matches_lookup(bits, group):
    "The prompt path's weight (dequantize_cuda) is the lookup's, bit for bit, dense and stacked, in every activation dtype."
    mx.random.seed(bits * 5 + group)
    for shape in ((288, 1536), (3, 96, 1536)):           # as many rows each: one kernel build serves both (a build takes seconds)
        t = tq_quantize(mx.random.normal(shape), QuantSpec(bits, group, 'tq', 'bfloat16'), seed=bits)
        ref = tq_dequantize_rotated(t.codes, t.scales, t.codebook, bits, group)
        for dt in (mx.float32, mx.float16, mx.bfloat16):
            got = dequantize_cuda(t.codes, t.scales, t.codebook, bits, group, False, dt)
            assert got.shape == ref.shape and got.dtype == dt
            assert mx.array_equal(got, ref.astype(dt)).item(), (shape, dt)

DEQ_TOL = {mx.float32: 1e-6, mx.float16: 1e-3, mx.bfloat16: 8e-3}   # one rounding to the output dtype, of the largest weight

@pytest.mark.parametrize('bits', AFFINE_BITS)
@pytest.mark.parametrize('group', [32, 64, 128])
def test_affine_dequant_kernel_matches_float64(bits, group):
    mx.random.seed(bits * 13 + group)
    for shape in ((256, 2048), (4, 64, 2048)):
        for dt in (mx.float32, mx.float16, mx.bfloat16):
            wq, s, b = mx.quantize(mx.random.normal(shape).astype(dt), group_size=group, bits=bits)
            q = np.array(unpack_codes(wq, bits, shape[-1]))          # MLX's affine packing is this stream (nb 23 checks it)
            ref = np.repeat(f64(s), group, -1) * q + np.repeat(f64(b), group, -1)
            got = dequantize_cuda(wq, s, b, bits, group, True, dt)
            assert got.dtype == dt and got.shape == ref.shape
            assert np.abs(f64(got) - ref).max() <= DEQ_TOL[dt] * np.abs(ref).max(), (shape, dt)

def test_dequant_kernel_rejects_mismatch():
    wq, s, b = mx.quantize(mx.random.normal((64, 256)), group_size=64, bits=4)
    with pytest.raises(Exception, match='do not fit 4-bit codes'):
        dequantize_cuda(wq, s, b, 4, 32, True)

def test_prompt_path_of_layers():
    "More rows than the decode kernel takes: TurboQuant and fused affine layers write their weight with the kernel, then matmul."
    mx.random.seed(3)
    x = mx.random.normal((2, 17, 1024))
    for group in (0, 64):
        t = tq_quantize(mx.random.normal((256, 1024)), QuantSpec(4, group, 'tq', 'float16'), seed=2)
        ref = f64(x) @ f64(t.dequantize()).T
        for dt in (mx.float32, mx.bfloat16):                  # the float32 matmul may use TF32
            y = TurboQuantLinear.from_tqtensor(t)(x.astype(dt))
            assert y.dtype == dt and rel(y, ref) < (1e-3 if dt == mx.float32 else 1e-2), (group, dt, rel(y, ref))
    lin = nn.QuantizedLinear(1024, 256, bias=True, group_size=64, bits=3)
    lin.bias = mx.random.normal((256,))
    ref = f64(x) @ f64(mx.dequantize(lin.weight, lin.scales, lin.biases, group_size=64, bits=3)).T + f64(lin.bias)
    lin.__class__ = FusedQuantizedLinear
    for dt in (mx.float32, mx.bfloat16):
        y = lin(x.astype(dt))
        assert rel(y, ref) < (1e-3 if dt == mx.float32 else 1e-2), (dt, rel(y, ref))

@pytest.mark.parametrize('bits', [4, 3])
@pytest.mark.parametrize('mma', [False, True])
def test_block_fusions_match_float64(bits, mma, monkeypatch):
    "The decoder block's fusions of the GEMV: RMS norm of the input, a residual added, SwiGLU of (gate, up) row pairs (mma: on tensor cores for bf16, GEMV_MMA)."
    made = mma_calls(monkeypatch) if mma else []
    mx.random.seed(bits)
    n, out, eps = 2048, 384, 1e-5
    for dt in (mx.float32, mx.bfloat16):
        wq, s, b = mx.quantize(mx.random.normal((out, n)).astype(dt), group_size=64, bits=bits)
        W = f64(mx.dequantize(wq, s, b, group_size=64, bits=bits))
        x, gamma, res = mx.random.normal((1, 2, n)).astype(dt), mx.random.uniform(0.5, 1.5, (n,)).astype(dt), mx.random.normal((1, 2, out)).astype(dt)
        e = mx.zeros((2,), mx.int32)
        X, G = f64(x)[0], f64(gamma)
        Xn = X / np.sqrt((X ** 2).mean(-1, keepdims=True) + eps) * G
        y = quant_gemv_cuda(x, e, wq, s, b, bits, 64, True, norm=(gamma, eps))
        assert y.shape == (1, 2, out) and rel(y[0], Xn @ W.T) < TOL[dt], ('norm', dt, rel(y[0], Xn @ W.T))
        y = quant_gemv_cuda(x, e, wq, s, b, bits, 64, True, residual=res)
        assert rel(y[0], X @ W.T + f64(res)[0]) < TOL[dt], ('residual', dt)
        y = quant_gemv_cuda(x, e, wq, s, b, bits, 64, True, norm=(gamma, eps), swiglu=True)
        gu = Xn @ W.T
        g, u = gu[:, 0::2], gu[:, 1::2]
        ref = g / (1 + np.exp(-g)) * u
        assert y.shape == (1, 2, out // 2) and rel(y[0], ref) < 2 * TOL[dt], ('swiglu', dt, rel(y[0], ref))
    assert len(made) == (3 if mma else 0)   # bf16's three fusions on tensor cores; float32 stays on the CUDA-core kernel

def attention_case(shape:tuple, pos:int, dtype, slots:int, seed:int, splits=None) -> None:
    "One token's attention at `pos` over a random cache of `slots` slots (heads as in `shape`: query, KV, dim, merged q/k/v, Qwen3 norms): the kernel's output, key and value against attn_decode_mlx's in float32."
    from jang_research.turboquant import attn_decode_cuda, attn_decode_mlx, rope_frequencies
    n_heads, n_kv, D, merged, norms = shape
    mx.random.seed(seed)
    q, k, v = (mx.random.normal((2, 1, n * D)).astype(dtype) for n in (n_heads, n_kv, n_kv))
    parts, offsets = (q, k, v), (0, 0, 0)
    if merged: parts, offsets = (mx.concatenate([q, k, v], axis=-1),) * 3, (0, n_heads * D, (n_heads + n_kv) * D)
    keys, values = (mx.random.normal((2, n_kv, slots, D)).astype(dtype) for _ in range(2))
    qk_norm = (mx.random.uniform(0.5, 1.5, (D,)).astype(dtype), mx.random.uniform(0.5, 1.5, (D,)).astype(dtype), 1e-6) if norms else None
    freqs = rope_frequencies(nn.RoPE(D, base=500000.0), D)
    got = attn_decode_cuda(*parts, keys, values, pos, freqs, n_heads, n_kv, D ** -0.5, offsets, qk_norm, splits=splits)
    ref = attn_decode_mlx(*[p.astype(mx.float32) for p in parts], keys.astype(mx.float32), values.astype(mx.float32), pos, freqs,
                          n_heads, n_kv, D ** -0.5, offsets, None if qk_norm is None else (*[g.astype(mx.float32) for g in qk_norm[:2]], 1e-6))
    tol = 2e-2 if dtype == mx.bfloat16 else 1e-4
    for name, g, r in zip(('out', 'knew', 'vnew'), got, ref):
        assert g.shape == r.shape and g.dtype == dtype, (name, g.shape, r.shape)
        assert rel(g, f64(r)) < tol, (name, splits, rel(g, f64(r)))

@pytest.mark.parametrize('shape', [(32, 8, 128, True, False), (16, 2, 64, False, False), (8, 4, 128, True, True), (4, 4, 256, False, True)],
                         ids=['8b-merged', '1b-apart', 'qwen3-norms', 'd256-norms'])
@pytest.mark.parametrize('pos', [0, 37, 700])
@pytest.mark.parametrize('dtype', [mx.bfloat16, mx.float32])
def test_attention_kernel_matches_mlx(shape, pos, dtype):
    "One token's attention (RoPE, Qwen3's head norms, the cache's pos keys plus its own) from the kernel (one block a head) and from attn_decode_mlx."
    attention_case(shape, pos, dtype, 768, pos + shape[2], splits=1)

@pytest.mark.parametrize('shape', [(32, 8, 128, True, False), (8, 4, 128, True, True), (4, 4, 256, False, False)], ids=['8b-merged', 'qwen3-norms', 'd256'])
@pytest.mark.parametrize('pos,splits', [(0, 3), (5, 4), (700, 2), (700, 7), (4000, 16), (4095, 5)])
def test_attention_kernel_splits_match_mlx(shape, pos, splits):
    "The keys split among several blocks a head (the last to finish merges their partial sums; splits with no keys among them), called three times (the counters start from zero at every call): attn_decode_mlx's output, key and value."
    for seed in range(3): attention_case(shape, pos, mx.bfloat16, 4096, seed, splits)

@pytest.mark.parametrize('case', [(4096, 4096, 1, False, False), (4096, 4096, 2, True, False), (14336, 2048, 1, False, True),
                                  (1920, 128, 2, False, False), (8192, 8192, 1, True, False), (2048, 32, 1, False, True),
                                  (1920, 384, 2, False, False), (768, 768, 1, False, True), (6144, 6144, 2, True, False)],
                         ids=['4096', '4096-pair-norm', '14336-swiglu', '1920-b128-pair', '8192-norm', 'b32-swiglu',
                              '1920-b12x32-pair', '768-b12x64-swiglu', '6144-b12x512-pair-norm'])
@pytest.mark.parametrize('dtype', [mx.bfloat16, mx.float32])
@pytest.mark.parametrize('rows', [1, 3])
def test_rotation_kernel_matches_mlx(case, dtype, rows):
    "The rotation kernel (sign flips, blockwise Hadamard of 2^k or 12·2^k; a norm or SwiGLU first; one or two sign vectors) against rotate_mlx in float32."
    from jang_research.turboquant import rotate_cuda, rotate_mlx, random_signs
    n, block, k, norm, swiglu = case
    mx.random.seed(n + block + k)
    x = mx.random.normal((rows, 1, 2, n) if swiglu else (rows, 1, n)).astype(dtype)
    signs = random_signs(n, 3) if k == 1 else mx.stack([random_signs(n, 3), random_signs(n, 4)])
    fused = (mx.random.uniform(0.5, 1.5, (n,)).astype(dtype), 1e-5) if norm else None
    got = rotate_cuda(x, signs, block, fused, swiglu)
    ref = rotate_mlx(x.astype(mx.float32), signs, block, None if fused is None else (fused[0].astype(mx.float32), 1e-5), swiglu)
    assert got.shape == ref.shape and got.dtype == dtype, (got.shape, ref.shape)
    assert rel(got, f64(ref)) < (1e-2 if dtype == mx.bfloat16 else 1e-5), rel(got, f64(ref))

@pytest.mark.parametrize('family', ['llama', 'qwen3', 'llama-mixed', 'mixtral', 'llama-mma', 'llama-mixed-mma'])
def test_fused_blocks_decode_like_mlx(family, monkeypatch):
    "A model's blocks fused: prompt (MLX ops on merged layers) and decode steps (four fused calls a block and the attention kernel; mixed widths: siblings apart; an MoE: its attention alone; mma: products on tensor cores) give mlx-lm's logits."
    from jang_research.testing import tiny_model, mixed_widths
    from jang_research.turboquant import fuse_blocks
    from mlx_lm.models.cache import make_prompt_cache
    # 64 features would meet MLX's quantized-matmul bug at 8-64 rows; heads of 64 (the tiny Qwen3's 16 the attention kernel does not take)
    model = tiny_model(family.split('-')[0], hidden_size=256, intermediate_size=512, num_attention_heads=4, head_dim=64)
    nn.quantize(model, group_size=64, bits=4, class_predicate=mixed_widths if 'mixed' in family else None)
    model.set_dtype(mx.bfloat16)
    tokens = [[5, 17, 42, 9, 11, 23, 2, 8, 30, 31]]
    cache = make_prompt_cache(model)
    ref = [model(mx.array(tokens), cache=cache)[:, -1]] + [model(mx.array([[t]]), cache=cache)[:, -1] for t in (3, 7, 1)]
    made = mma_calls(monkeypatch) if family.endswith('mma') else None
    assert fuse_blocks(model) == 2
    assert model.layers[0].self_attn.decode_freqs is not None   # decode attention goes through the kernel
    cache = make_prompt_cache(model)
    got = [model(mx.array(tokens), cache=cache)[:, -1]] + [model(mx.array([[t]]), cache=cache)[:, -1] for t in (3, 7, 1)]
    for g, r in zip(got, ref):
        assert rel(g, f64(r)) < 3e-2, rel(g, f64(r))
    assert made is None or made   # the decode products ran on tensor cores

@pytest.mark.parametrize('dtype', [mx.bfloat16, mx.float32])
def test_tq_layers_rotate_in_kernel(dtype, monkeypatch):
    "TurboQuant layers' decode calls with TQ_ROTATE_KERNEL (rotate_cuda) agree with their MLX-op rotation: a dense layer (blocks 4096; 14336 in blocks of 2048) and stacked experts."
    import jang_research.turboquant as tq
    mx.random.seed(7)
    cases = []
    for n, out in ((4096, 512), (14336, 256)):
        lin = TurboQuantLinear.from_tqtensor(tq_quantize(mx.random.normal((out, n)), QuantSpec(4, 0, 'tq', 'float16'), seed=n))
        cases.append((lambda x, lin=lin: lin(x), mx.random.normal((1, 1, n)).astype(dtype)))
    sw = TurboQuantSwitchLinear.from_tqtensor(tq_quantize(mx.random.normal((6, 256, 2048)), QuantSpec(2, 0, 'tq', 'float16'), seed=5))
    idx = mx.array([[[1, 4]]])
    cases.append((lambda x: sw(x, idx), mx.random.normal((1, 1, 1, 2048)).astype(dtype)))
    for call, x in cases:
        ref = call(x)
        monkeypatch.setattr(tq, 'TQ_ROTATE_KERNEL', True)
        got = call(x)
        monkeypatch.setattr(tq, 'TQ_ROTATE_KERNEL', False)
        assert got.shape == ref.shape and rel(got, f64(ref)) < (2e-2 if dtype == mx.bfloat16 else 1e-4), rel(got, f64(ref))

@pytest.mark.parametrize('experts', [1, 16])
@pytest.mark.parametrize('bits,group', [(2, 0), (4, 0), (3, 64)])
@pytest.mark.parametrize('mma', [False, True])
def test_paired_gemv_matches_float64(experts, bits, group, mma, monkeypatch):
    "Two TurboQuant layers in one call (pair=): activation rows alternate between them, row pair i by expert experts[i]; against float64 (mma: on tensor cores for bf16)."
    from jang_research.turboquant import tq_dequantize_rotated
    made = mma_calls(monkeypatch) if mma else []
    mx.random.seed(bits * 10 + experts)
    shape = (768, 2048) if experts == 1 else (experts, 768, 2048)
    a, b = (tq_quantize(mx.random.normal(shape), QuantSpec(bits, group, 'tq', 'float16'), seed=s) for s in (1, 2))
    for dt in (mx.bfloat16, mx.float32):
        x = mx.random.normal((3, 2, 2048)).astype(dt)          # three (gate, up) row pairs
        idx = mx.array([0, experts - 1, experts // 2], mx.int32)
        y = quant_gemv_cuda(x, idx, a.codes, a.scales, a.codebook.astype(mx.float32), bits, group, False, pair=(b.codes, b.scales))
        wa, wb = (np.array(tq_dequantize_rotated(t.codes, t.scales, t.codebook, bits, group), np.float64) for t in (a, b))
        if experts > 1: wa, wb = wa[np.array(idx)], wb[np.array(idx)]
        else: wa, wb = np.broadcast_to(wa, (3, *wa.shape)), np.broadcast_to(wb, (3, *wb.shape))
        X = f64(x)
        ref = np.stack([np.einsum('ron,rn->ro', wa, X[:, 0]), np.einsum('ron,rn->ro', wb, X[:, 1])], axis=1)
        assert y.shape == (3, 2, 768) and rel(y, ref) < (1e-2 if dt == mx.bfloat16 else 1e-5), (dt, rel(y, ref))
    assert len(made) == (1 if mma else 0)

def fused_as_accurate(quantized, fused:int) -> None:
    "quantized(dtype): a fresh tiny quantized model. Its fuse_blocks(tq_mlp=True) twin in bf16 (`fused` TurboQuant MLPs or expert sets kept by the check) is as close to the float32 model's logits as the unfused bf16 model is, prompt and three decode steps."
    import jang_research.turboquant as tq
    from mlx_lm.models.cache import make_prompt_cache
    tokens = [[5, 17, 42, 9, 11, 23, 2, 8, 30, 31]]
    def logits(dtype, fuse):
        model = quantized(dtype)
        if fuse:
            tq.fuse_blocks(model, tq_mlp=True)
            assert sum('tq_pair_signs' in m.__dict__ for _, m in model.named_modules()) == fused   # kept: a decode token gave what it gave before
        cache = make_prompt_cache(model)
        return [model(mx.array(tokens), cache=cache)[:, -1]] + [model(mx.array([[t]]), cache=cache)[:, -1] for t in (3, 7, 1)]
    exact, plain, fused_logits = logits(mx.float32, False), logits(mx.bfloat16, False), logits(mx.bfloat16, True)
    for e, p, f in zip(exact, plain, fused_logits):   # the fused path rounds to bf16 less often than MLX's ops do
        assert rel(f, f64(e)) < 1.5 * rel(p, f64(e)) + 5e-3, (rel(f, f64(e)), rel(p, f64(e)))

@pytest.mark.parametrize('family', ['mixtral', 'qwen2_moe', 'mixtral-mma'])
def test_fused_tq_experts_decode_like_mlx(family, monkeypatch):
    "A JANGTQ MoE's SwitchGLUs fused (fuse_blocks(tq_mlp=True): rotations for each expert, gate/up paired over experts, SwiGLU rotated, down) in bf16: as accurate as unfused (mma: products on tensor cores)."
    from jang_research.testing import tiny_model
    from jang_research.inventory import inventory
    from jang_research.methods import float_weights, quantize_weights, to_quantized_model
    from jang_research.jangtq import jangtq_plan
    made = mma_calls(monkeypatch) if family.endswith('mma') else None
    def quantized(dtype):
        model = tiny_model(family.split('-')[0], hidden_size=256, intermediate_size=512, num_attention_heads=4, head_dim=64)
        inv = inventory(model)
        plan = jangtq_plan(inv)
        model = to_quantized_model(model, quantize_weights(float_weights(model, inv), plan, tq_seed=3), plan)
        model.set_dtype(dtype)
        return model
    fused_as_accurate(quantized, 2)
    assert made is None or made

@pytest.mark.parametrize('family', ['llama', 'qwen3', 'llama-mma'])
def test_fused_tq_blocks_decode_like_mlx(family, monkeypatch):
    "Blocks with TurboQuant MLPs fused (fuse_blocks(tq_mlp=True): rotation kernel with the norm, paired product, SwiGLU rotation, down + residual) in bf16: as accurate as unfused (mma: products on tensor cores)."
    from jang_research.testing import tiny_model
    from conftest import tq_mlps
    made = mma_calls(monkeypatch) if family.endswith('mma') else None
    def quantized(dtype):
        model = tiny_model(family.split('-')[0], hidden_size=256, intermediate_size=512, num_attention_heads=4, head_dim=64)
        tq_mlps(model, scales='float16')
        nn.quantize(model, group_size=64, bits=4)
        model.set_dtype(dtype)
        return model
    fused_as_accurate(quantized, 2)
    assert made is None or made

@pytest.mark.parametrize('family,compile', [('llama', True), ('llama', False), ('qwen3', True), ('llama-mixed', True)])
def test_static_fused_decode_like_mlx(family, compile):
    "Compiled decoding (runtime.compiled_generate_step: fixed-slot caches, the attention kernel at the position they name) of a fused model: mlx-lm's log-probabilities along the same tokens."
    from jang_research.testing import tiny_model, mixed_widths
    from jang_research.turboquant import fuse_blocks
    from conftest import forced_logprobs
    from mlx_lm.models.cache import make_prompt_cache
    model = tiny_model(family.split('-')[0], hidden_size=256, intermediate_size=512, num_attention_heads=4, head_dim=64)
    nn.quantize(model, group_size=64, bits=4, class_predicate=mixed_widths if 'mixed' in family else None)
    model.set_dtype(mx.bfloat16)
    tokens = [5, 17, 42, 9, 11, 23, 2, 8, 30, 31, 3, 7, 1, 50, 60, 70]
    cache = make_prompt_cache(model)
    ref = [model(mx.array([tokens[:10]]), cache=cache)[:, -1]] + [model(mx.array([[t]]), cache=cache)[:, -1] for t in tokens[10:15]]
    assert fuse_blocks(model) == 2
    assert model.layers[0].self_attn.decode_freqs is not None   # decode attention goes through the kernel
    got = forced_logprobs(model, tokens, compile)   # six steps
    for g, r in zip(got, ref):
        assert rel(g, f64(nn.log_softmax(r.astype(mx.float32)))) < 3e-2, rel(g, f64(nn.log_softmax(r.astype(mx.float32))))
