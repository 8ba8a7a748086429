"Compiled decoding (runtime.compiled_generate_step) gives mlx-lm's log-probabilities on a CUDA GPU, in bf16 and fp32, with stock and fused layers (skipped without a CUDA GPU; the CPU case is tested in nbs/50_runtime.ipynb)."
import pytest
from jang_research.backend import mx
from jang_research.turboquant import cuda_available, fuse_layers
from jang_research.testing import tiny_model, TINY_CONFIGS
from jang_research.runtime import compiled_generate_step
from mlx_lm.generate import generate_step

pytestmark = pytest.mark.skipif(not cuda_available(), reason='needs MLX on a CUDA GPU')
WALK = [(11 * k + 5) % 256 for k in range(40)]   # random models repeat themselves: a forced, varied token stream

class Forced:
    "A sampler keeping each step's log-probabilities and returning the next token of WALK: both decoders see the same inputs."
    def __init__(self): self.seen = []
    def __call__(self, logprobs):
        self.seen.append(logprobs.astype(mx.float32))
        return mx.array([WALK[(len(self.seen) - 1) % len(WALK)]])

def log_probs(model, n=40, prompt_len=17):
    "(mlx-lm's, ours) log-probabilities along WALK after a prompt of `prompt_len` tokens, (n, vocab) each."
    ids, ref, got = mx.array(list(range(3, 3 + prompt_len))), Forced(), Forced()
    list(generate_step(ids, model, max_tokens=n, sampler=ref))
    list(compiled_generate_step(model, ids, max_tokens=n, sampler=got))
    return mx.concatenate(ref.seen[:n]), mx.concatenate(got.seen[:n])

def agree(ref, got):
    "(largest log-probability difference, share of steps with the same argmax)."
    return mx.abs(got - ref).max().item(), (mx.argmax(got, -1) == mx.argmax(ref, -1)).mean().item()

@pytest.mark.parametrize('family', sorted(TINY_CONFIGS))
@pytest.mark.parametrize('dtype', ['float32', 'bfloat16'])
def test_compiled_decode_matches_mlx_lm(family, dtype):
    model = tiny_model(family)
    model.set_dtype(getattr(mx, dtype))
    diff, same = agree(*log_probs(model))
    # bf16: the compiled graph fuses elementwise ops, so its roundings differ a little from op-by-op ones
    assert diff < (1e-4 if dtype == 'float32' else 0.1), diff
    assert same >= (1.0 if dtype == 'float32' else 0.9), same

def quantized_loops_agree(family, prompt_len):
    "mlx-lm's loop with MLX's layers vs our compiled loop with fused layers, one tiny 4-bit model: (max |Δ log p|, same argmax)."
    from jang_research.inventory import inventory, uniform_plan
    from jang_research.methods import float_weights, quantize_weights, to_quantized_model
    model = tiny_model(family)
    plan = uniform_plan(inventory(model), 4, 64)
    to_quantized_model(model, quantize_weights(float_weights(model), plan), plan)
    ref, _ = log_probs(model, prompt_len=prompt_len)
    assert fuse_layers(model, min_bytes=0) > 0
    _, got = log_probs(model, prompt_len=prompt_len)
    return agree(ref, got)

# Measured on the H200 (2026-12-03, benchmarks/probe_decode_determinism.py): a tiny quantized model's mlx-lm decode loop is not
# reproducible there even with MLX's own layers; float models agree exactly. The probe's single-op checks pin the cause
# (benchmarks/results/gpu_decode_determinism_h200_v3.log): MLX 0.32.4's CUDA quantized_matmul with 64 input features at 8 to 64
# rows (64 -> 128 and 64 -> 256) gives results that depend on what its buffer cache held before (0, 1000 or NaN), while
# 1 row, 128 -> 64 and 4096 -> 4096 do not. The tiny models have 64 hidden features, so their 17-token prompt forward reads
# memory MLX did not write and each loop inherits that prompt's cache (of real widths the probe checked 4096 -> 4096 only).
# Kept here, not relaxed, so that it turns green when MLX fixes it (issue 17).
@pytest.mark.xfail(reason="MLX 0.32.4's CUDA quantized_matmul with 64 input features at 8-64 rows reads memory it did not write (issue 17)", strict=False)
@pytest.mark.parametrize('family', ['llama', 'qwen2_moe'])
def test_compiled_decode_with_fused_layers(family):
    diff, same = quantized_loops_agree(family, prompt_len=17)
    assert diff < 1e-3 and same == 1.0, (diff, same)

# A one-token prompt: every forward of both loops has one row (MLX's qmv or our kernel), the path the probe found clean; with
# it our compiled loop with fused layers gives mlx-lm's log-probabilities (passed on the H200, 2026-12-03).
@pytest.mark.parametrize('family', ['llama', 'qwen2_moe'])
def test_compiled_decode_with_fused_layers_one_token_prompt(family):
    diff, same = quantized_loops_agree(family, prompt_len=1)
    assert diff < 1e-3 and same == 1.0, (diff, same)
