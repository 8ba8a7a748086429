"""The fused decode path's bookkeeping on any machine: CUDA is pretended and the kernels are stood in for by their contracts in
MLX ops (`attn_decode_mlx`; the GEMV with its norm, residual and SwiGLU fusions), so what is checked here is everything around
them — q/k/v read from the merged product at their offsets, each step's key and value written into mlx-lm's cache, the hand-over
to mlx-lm's path when the cache grows or passes ATTN_MAX_KEYS, Qwen3's head norms, an MoE block's attention fused alone — over
hundreds of decode steps against mlx-lm's own logits. The kernels are held to the same contracts by the GPU tests."""
import pytest
import jang_research.turboquant as tq
from jang_research.backend import mx, nn
from jang_research.testing import tiny_model
from mlx_lm.models.cache import make_prompt_cache

def mlx_gemv(x, experts, codes, scales, aux, bits, group_size, affine, norm=None, residual=None, swiglu=False, **launch):
    "quant_gemv_cuda's contract for a dense affine layer, in MLX ops."
    assert affine and codes.ndim == 2
    if norm is not None: x = mx.fast.rms_norm(x, norm[0], norm[1])
    y = x @ mx.dequantize(codes, scales, aux, group_size=group_size, bits=bits).astype(x.dtype).T
    if swiglu: y = nn.silu(y[..., 0::2]) * y[..., 1::2]   # rows in (gate, up) pairs
    return y if residual is None else y + residual

@pytest.fixture
def kernel_calls(monkeypatch):
    "Pretend CUDA with the kernels' MLX contracts; the attention kernel's calls are counted in the list returned."
    calls = []
    def attention(*args, **kwargs):
        calls.append(args[5])   # the token's position
        return tq.attn_decode_mlx(*args, **kwargs)
    monkeypatch.setattr(tq, 'cuda_available', lambda: True)
    monkeypatch.setattr(tq, 'quant_gemv_cuda', mlx_gemv)
    monkeypatch.setattr(tq, 'attn_decode_cuda', attention)
    monkeypatch.setattr(tq, 'dequantize_cuda', lambda codes, scales, aux, bits, group_size, affine, dtype:
                        mx.dequantize(codes, scales, aux, group_size=group_size, bits=bits).astype(dtype))
    monkeypatch.setattr(tq, 'ATTN_MAX_KEYS', 300)   # crossed within the run below
    return calls

def rel(a, b): return (mx.linalg.norm(a - b) / mx.linalg.norm(b)).item()

@pytest.mark.parametrize('family', ['llama', 'qwen3', 'llama-mixed', 'mixtral'])
def test_fused_decode_follows_mlx_lm(kernel_calls, family):
    "A 10-token prompt, then 300 decode steps (the cache grows at 256 slots; ATTN_MAX_KEYS set to 300): the same logits as mlx-lm's model."
    model = tiny_model(family.split('-')[0], hidden_size=128, intermediate_size=256, num_attention_heads=4, head_dim=32)
    wider = lambda path, m: {'group_size': 64, 'bits': 8} if path.endswith(('v_proj', 'up_proj')) else isinstance(m, (nn.Linear, nn.Embedding))
    nn.quantize(model, group_size=64, bits=4, class_predicate=wider if family.endswith('mixed') else None)
    tokens = mx.random.randint(0, 256, (311,), key=mx.random.key(7)).tolist()
    def run():
        cache = make_prompt_cache(model)
        logits = [model(mx.array([tokens[:10]]), cache=cache)[:, -1]]
        for t in tokens[10:310]: logits.append(model(mx.array([[t]]), cache=cache)[:, -1])
        return mx.concatenate(logits)
    ref = run()
    assert tq.fuse_blocks(model) == 2
    assert model.layers[0].self_attn.decode_freqs is not None
    kernel_calls.clear()   # fuse_block's check made some
    got = run()
    assert rel(got, ref) < 1e-4, rel(got, ref)
    # positions 10-309: the kernel at each, in both layers, but at 256 (the cache full: mlx-lm's path grows it) and from 300 on
    expected = [p for p in range(10, 310) if p != 256 and p < 300]
    assert kernel_calls[::2] == expected and kernel_calls[1::2] == expected
