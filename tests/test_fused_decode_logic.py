"""The fused decode path's bookkeeping on any machine: CUDA is pretended and the kernels are stood in for by their contracts in
MLX ops (`attn_decode_mlx`; the GEMV with its norm, residual and SwiGLU fusions), so what is checked here is everything around
them — q/k/v read from the merged product at their offsets, each step's key and value written into mlx-lm's cache, the hand-over
to mlx-lm's path when the cache grows or passes ATTN_MAX_KEYS, Qwen3's head norms, an MoE block's attention fused alone — over
hundreds of decode steps against mlx-lm's own logits; TurboQuant MLPs paired in fused blocks (the rotation kernel's contract too).
The kernels are held to the same contracts by the GPU tests."""
import pytest
import jang_research.turboquant as tq
from jang_research.backend import mx, nn
from jang_research.testing import tiny_model, mixed_widths
from mlx_lm.models.cache import make_prompt_cache
from conftest import tq_mlps, forced_logprobs

def mlx_gemv(x, experts, codes, scales, aux, bits, group_size, affine, warps_per_block=8, rows_per_warp=2, kernel=None,
             norm=None, residual=None, swiglu=False, pair=None):
    "quant_gemv_cuda's contract in MLX ops: dense affine layers, dense or stacked TurboQuant codes (row p by expert experts[p]; paired: rows alternate between the two layers, row pair i by expert experts[i])."
    if norm is not None: x = mx.fast.rms_norm(x, norm[0], norm[1])
    if affine:
        assert codes.ndim == 2 and pair is None
        y = x @ mx.dequantize(codes, scales, aux, group_size=group_size, bits=bits).astype(x.dtype).T
    else:
        ws = [tq.tq_dequantize_rotated(c, s, aux, bits, group_size).astype(x.dtype) for c, s in [(codes, scales)] + ([pair] if pair else [])]
        rows = x.reshape(-1, len(ws), x.shape[-1])   # (row pairs, 1 or 2, n)
        parts = []
        for m, w in enumerate(ws):
            xm = rows[:, m]
            parts.append(xm @ w.T if w.ndim == 2 else (w[experts.reshape(-1)[:xm.shape[0]]] @ xm[..., None])[..., 0])
        y = mx.stack(parts, axis=1).reshape(*x.shape[:-1], -1)
    if swiglu: y = nn.silu(y[..., 0::2]) * y[..., 1::2]   # rows in (gate, up) pairs
    return y if residual is None else y + residual

def mlx_dequantize(codes, scales, aux, bits, group_size, affine, dtype):
    "dequantize_cuda's contract in MLX ops."
    if affine: return mx.dequantize(codes, scales, aux, group_size=group_size, bits=bits).astype(dtype)
    return tq.tq_dequantize_rotated(codes, scales, aux, bits, group_size).astype(dtype)

@pytest.fixture
def kernel_calls(monkeypatch):
    "Pretend CUDA with the kernels' MLX contracts; the attention kernel's calls are listed in the list returned, by their (pos, slots) inputs."
    calls = []
    def attention(*args, **kwargs):
        calls.append(args[5])
        return tq.attn_decode_mlx(*args, **kwargs)
    monkeypatch.setattr(tq, 'cuda_available', lambda: True)
    monkeypatch.setattr(tq, 'quant_gemv_cuda', mlx_gemv)
    monkeypatch.setattr(tq, 'attn_decode_cuda', attention)
    monkeypatch.setattr(tq, 'dequantize_cuda', mlx_dequantize)
    monkeypatch.setattr(tq, 'rotate_cuda', tq.rotate_mlx)
    monkeypatch.setattr(tq, 'ATTN_MAX_KEYS', 300)   # crossed within the run below
    return calls

def rel(a, b): return (mx.linalg.norm(a - b) / mx.linalg.norm(b)).item()

def decode_logits(model, tokens:list, prompt:int=10) -> mx.array:
    "The last logits of a `prompt`-token prompt through a fresh mlx-lm cache, then of each further token as a decode step, stacked."
    cache = make_prompt_cache(model)
    logits = [model(mx.array([tokens[:prompt]]), cache=cache)[:, -1]]
    for t in tokens[prompt:]: logits.append(model(mx.array([[t]]), cache=cache)[:, -1])
    return mx.concatenate(logits)

@pytest.mark.parametrize('family', ['llama', 'qwen3', 'llama-mixed', 'mixtral'])
def test_fused_decode_follows_mlx_lm(kernel_calls, family):
    "A 10-token prompt, then 300 decode steps (the cache grows at 256 slots; ATTN_MAX_KEYS set to 300): the same logits as mlx-lm's model."
    model = tiny_model(family.split('-')[0], hidden_size=128, intermediate_size=256, num_attention_heads=4, head_dim=32)
    nn.quantize(model, group_size=64, bits=4, class_predicate=mixed_widths if family.endswith('mixed') else None)
    tokens = mx.random.randint(0, 256, (310,), key=mx.random.key(7)).tolist()
    ref = decode_logits(model, tokens)
    assert tq.fuse_blocks(model) == 2
    assert model.layers[0].self_attn.decode_freqs is not None
    kernel_calls.clear()   # fuse_block's check made some
    got = decode_logits(model, tokens)
    assert rel(got, ref) < 1e-4, rel(got, ref)
    # positions 10-309: the kernel at each, in both layers, but at 256 (the cache full: mlx-lm's path grows it) and from 300 on
    expected = [p for p in range(10, 310) if p != 256 and p < 300]
    positions = [p[0].item() for p in kernel_calls]
    assert positions[::2] == expected and positions[1::2] == expected

@pytest.mark.parametrize('family', ['llama', 'qwen3', 'llama-mixed', 'llama-tq'])
@pytest.mark.parametrize('compile', [True, False])
def test_static_fused_decode_follows_mlx_lm(kernel_calls, family, compile):
    "Decoding over fixed-slot caches (runtime.compiled_generate_step, compiled or not) of the fused model (TurboQuant MLPs too): the attention kernel in every layer, at the position the cache names; the log-probabilities of mlx-lm's model along the same tokens."
    model = tiny_model(family.split('-')[0], hidden_size=128, intermediate_size=256, num_attention_heads=4, head_dim=32)
    if family.endswith('tq'): tq_mlps(model)
    nn.quantize(model, group_size=64, bits=4, class_predicate=mixed_widths if family.endswith('mixed') else None)
    tokens = mx.random.randint(0, 256, (50,), key=mx.random.key(8)).tolist()
    cache = make_prompt_cache(model)
    ref = [model(mx.array([tokens[:10]]), cache=cache)[:, -1]]
    for t in tokens[10:49]: ref.append(model(mx.array([[t]]), cache=cache)[:, -1])
    ref = nn.log_softmax(mx.concatenate(ref))
    assert tq.fuse_blocks(model, tq_mlp=True) == 2
    assert family.endswith('tq') == ('tq_pair_signs' in model.layers[0].mlp.__dict__)
    kernel_calls.clear()
    got = forced_logprobs(model, tokens, compile)
    assert rel(got, ref) < 1e-4, rel(got, ref)
    # both layers in the kernel: once each when the step is traced, else at every step (the prompt keeps mlx-lm's path)
    assert len(kernel_calls) == (2 if compile else 2 * 39), len(kernel_calls)
    if not compile: assert [p.tolist() for p in kernel_calls[::2]] == [[p, 256] for p in range(10, 49)]

@pytest.mark.parametrize('family', ['llama', 'qwen3'])
def test_fused_tq_mlp_follows_mlx_lm(kernel_calls, family):
    "Blocks with TurboQuant MLPs fused (fuse_blocks(tq_mlp=True)): gate and up read in pairs, each with its rotation; a 10-token prompt (MLX ops) and 60 decode steps (rotation, paired product, SwiGLU rotation, down + residual) give the unfused model's logits."
    model = tiny_model(family, hidden_size=128, intermediate_size=256, num_attention_heads=4, head_dim=32)
    tq_mlps(model)
    nn.quantize(model, group_size=64, bits=4)   # attention, embedding and head affine; the TurboQuant layers are no Linear
    tokens = mx.random.randint(0, 256, (70,), key=mx.random.key(9)).tolist()
    ref = decode_logits(model, tokens)
    assert tq.fuse_blocks(model, tq_mlp=True) == 2
    assert 'tq_pair_signs' in model.layers[0].mlp.__dict__ and sorted(model.layers[0].mlp.children()) == ['down_proj', 'gate_proj', 'up_proj']
    kernel_calls.clear()
    got = decode_logits(model, tokens)
    assert rel(got, ref) < 1e-4, rel(got, ref)
    assert len(kernel_calls) == 2 * 60   # attention in the kernel at every decode step of both layers

@pytest.mark.parametrize('tq_mlp', [None, False])
def test_tq_mlp_fused_unless_asked(kernel_calls, tq_mlp):
    "By default (FUSE_TQ_MLP) a block's TurboQuant MLP is fused with it, its gate and up read in pairs; with tq_mlp=False it keeps them apart and its attention is fused alone."
    model = tiny_model('llama', hidden_size=128, intermediate_size=256, num_attention_heads=4, head_dim=32)
    tq_mlps(model)
    nn.quantize(model, group_size=64, bits=4)
    assert tq.fuse_blocks(model, tq_mlp=tq_mlp) == 2
    block = model.layers[0]
    assert sorted(block.mlp.children()) == ['down_proj', 'gate_proj', 'up_proj']
    if tq_mlp is None: assert 'tq_pair_signs' in block.mlp.__dict__ and type(block).__name__ == 'FusedTransformerBlock', type(block).__name__
    else: assert 'tq_pair_signs' not in block.mlp.__dict__ and (type(block).__name__, type(block.self_attn).__name__) == ('TransformerBlock', 'FusedAttention')

@pytest.mark.parametrize('family', ['llama', 'mixtral'])
def test_rotation_kernel_path_follows_mlx(kernel_calls, monkeypatch, family):
    "TurboQuant layers' decode calls rotating by rotate_cuda (TQ_ROTATE_KERNEL; its contract here): dense TurboQuant MLPs, and a JANGTQ MoE's stacked experts (rotated once for all the token's experts), give the logits of their MLX-op rotation over 20 decode steps."
    from jang_research.inventory import inventory
    from jang_research.methods import float_weights, quantize_weights, to_quantized_model
    from jang_research.jangtq import jangtq_plan
    model = tiny_model(family, hidden_size=128, intermediate_size=256, num_attention_heads=4, head_dim=32)
    if family == 'llama':
        tq_mlps(model)
        nn.quantize(model, group_size=64, bits=4)
    else:
        inv = inventory(model)
        plan = jangtq_plan(inv)
        model = to_quantized_model(model, quantize_weights(float_weights(model, inv), plan, tq_seed=3), plan)
    kind = tq.TurboQuantLinear if family == 'llama' else tq.TurboQuantSwitchLinear
    assert any(type(m) is kind for _, m in model.named_modules())
    tokens = mx.random.randint(0, 256, (30,), key=mx.random.key(10)).tolist()
    ref = decode_logits(model, tokens)
    rotations = []
    def counted(*args, **kwargs):
        rotations.append(args[2])   # the block
        return tq.rotate_mlx(*args, **kwargs)
    monkeypatch.setattr(tq, 'rotate_cuda', counted)
    monkeypatch.setattr(tq, 'TQ_ROTATE_KERNEL', True)
    got = decode_logits(model, tokens)
    assert rel(got, ref) < 1e-5, rel(got, ref)
    layers = 2 * 3   # two blocks, three TurboQuant projections each
    assert len(rotations) == 20 * layers, len(rotations)   # every decode call, none of the prompt's

@pytest.mark.parametrize('family', ['mixtral', 'qwen2_moe'])
def test_fused_tq_experts_follow_mlx_lm(kernel_calls, family):
    "A JANGTQ MoE's SwitchGLU over TurboQuant experts fused (fuse_blocks(tq_mlp=True)): a 10-token prompt (mlx-lm's path) and 20 decode steps (the token's rotations written for each of its experts, gate and up paired, SwiGLU rotated, down) give the unfused model's logits."
    from jang_research.inventory import inventory
    from jang_research.methods import float_weights, quantize_weights, to_quantized_model
    from jang_research.jangtq import jangtq_plan
    model = tiny_model(family, hidden_size=128, intermediate_size=256, num_attention_heads=4, head_dim=32)
    inv = inventory(model)
    plan = jangtq_plan(inv)
    model = to_quantized_model(model, quantize_weights(float_weights(model, inv), plan, tq_seed=3), plan)
    tokens = mx.random.randint(0, 256, (30,), key=mx.random.key(11)).tolist()
    ref = decode_logits(model, tokens)
    tq.fuse_blocks(model, tq_mlp=True)
    glus = [m for _, m in model.named_modules() if type(m).__name__ == 'FusedSwitchGLU']
    assert len(glus) == 2 and all('tq_pair_signs' in m.__dict__ for m in glus)
    got = decode_logits(model, tokens)
    assert rel(got, ref) < 1e-4, rel(got, ref)

@pytest.mark.parametrize('compile', [True, False])
def test_static_fused_decode_keeps_sliding_windows(kernel_calls, compile):
    "A llama with a sliding-window layer (window 8) decoded over fixed-slot caches: the window layer keeps MLX's attention (its mask hides the keys the window has left; the kernel would read them), the full layer takes the kernel; mlx-lm's log-probabilities over 40 steps."
    model = tiny_model('llama', hidden_size=128, intermediate_size=256, num_attention_heads=4, head_dim=32,
                       layer_types=['sliding_attention', 'full_attention'], sliding_window=8)
    nn.quantize(model, group_size=64, bits=4)
    tokens = mx.random.randint(0, 256, (50,), key=mx.random.key(12)).tolist()
    ref = nn.log_softmax(decode_logits(model, tokens[:49]))
    assert tq.fuse_blocks(model) == 2
    kernel_calls.clear()
    got = forced_logprobs(model, tokens, compile)
    assert rel(got, ref) < 1e-4, rel(got, ref)
    assert len(kernel_calls) == (1 if compile else 39)   # the full layer only

def test_gemv_goes_to_tensor_cores(monkeypatch):
    "quant_gemv_cuda with GEMV_MMA on: 16-bit affine and TurboQuant calls that fit go to the tensor-core kernel with their fusions; fp32 activations, a norm weight of another dtype, codes it does not take and GEMV_MMA off stay on the CUDA-core kernel."
    made = []
    def recording(name):
        def config(constants, *fusions):
            def kernel(inputs, grid, threadgroup, output_shapes, output_dtypes):
                made.append((name, dict(constants), fusions, len(inputs), grid[0] // threadgroup[0]))
                return [mx.zeros(output_shapes[0], output_dtypes[0])]
            return kernel
        return config
    monkeypatch.setattr(tq, 'config_mma_kernel', recording('mma'))
    monkeypatch.setattr(tq, 'config_gemv_kernel', recording('gemv'))
    monkeypatch.setattr(tq, 'GEMV_MMA', True)
    wq, s, b = mx.quantize(mx.random.normal((64, 256)), group_size=64, bits=4)
    e, x = mx.zeros((1,), mx.int32), mx.random.normal((1, 256)).astype(mx.bfloat16)
    gamma = mx.ones((256,), mx.bfloat16)
    def last(): return made[-1]   # (kernel, constants, fusions, inputs, blocks)
    tq.quant_gemv_cuda(x, e, wq, s, b, 4, 64, True)
    assert last()[0] == 'mma' and last()[1]['AFFINE'] == 1 and last()[2] == (None, False, False, False) and last()[4] == 4   # 64 rows: 4 tiles of 16
    tq.quant_gemv_cuda(x, e, wq, s, b, 4, 64, True, norm=(gamma, 1e-5), residual=mx.zeros((1, 64), mx.bfloat16), swiglu=False)
    assert last()[0] == 'mma' and last()[2] == (1e-5, True, False, False) and last()[3] == 7   # gamma and the residual after the five inputs
    tq.quant_gemv_cuda(x, e, wq, s, b, 4, 64, True, norm=(gamma.astype(mx.float32), 1e-5))
    assert last()[0] == 'gemv'   # the tensor-core kernel multiplies x by gamma as 16-bit pairs
    tq.quant_gemv_cuda(x.astype(mx.float32), e, wq, s, b, 4, 64, True)
    assert last()[0] == 'gemv'
    t = tq.tq_quantize(mx.random.normal((64, 256)), tq.QuantSpec(3, 0, 'tq', 'float16'), seed=1)
    tq.quant_gemv_cuda(mx.concatenate([x, x]), mx.zeros((1,), mx.int32), t.codes, t.scales, t.codebook, 3, 0, False, pair=(t.codes, t.scales))
    assert last()[0] == 'mma' and last()[1]['AFFINE'] == 0 and last()[1]['NG'] == 1 and last()[2][3] is True and last()[3] == 7
    t5 = tq.tq_quantize(mx.random.normal((64, 224)), tq.QuantSpec(2, 0, 'tq', 'float16'), seed=1)
    tq.quant_gemv_cuda(mx.random.normal((1, 224)).astype(mx.bfloat16), e, t5.codes, t5.scales, t5.codebook, 2, 0, False)
    assert last()[0] == 'gemv'   # 224 inputs: no whole runs of 64
    monkeypatch.setattr(tq, 'GEMV_MMA', False)
    tq.quant_gemv_cuda(x, e, wq, s, b, 4, 64, True)
    assert last()[0] == 'gemv' and len(made) == 7
