"Calibration-based quantizers on architectures other than the default model, and their bad inputs."
import numpy as np
import pytest
from jang_research.backend import mx, JangError
from jang_research.inventory import inventory, uniform_plan, QuantSpec
from jang_research.testing import tiny_model, TINY_CONFIGS
from jang_research.methods import float_weights, quantize_weights
from jang_research.affine import rtn_quantize
from jang_research.calibration import collect_hessians
from jang_research.mse import mse_quantize
from jang_research.gptq import gptq_quantize, hessian_error
from jang_research.bundle import save_bundle, load_bundle, read_manifest
from conftest import tiny_source

def test_nan_weights_are_refused():
    w = mx.random.normal((8, 64))
    w[0, 0] = float('nan')
    for f in (lambda: rtn_quantize(w, QuantSpec(4, 32)), lambda: mse_quantize(w, QuantSpec(4, 32)),
              lambda: gptq_quantize(w, QuantSpec(4, 32), np.eye(64))):
        with pytest.raises(JangError, match='NaN'): f()

def test_gptq_needs_hessians_and_matching_shapes():
    m = tiny_model('llama')
    inv = inventory(m)
    with pytest.raises(JangError, match='needs calibration Hessians'):
        quantize_weights(float_weights(m, inv), uniform_plan(inv, 4, 32, 'gptq'))
    with pytest.raises(JangError, match='does not match weight input dim'):
        gptq_quantize(mx.random.normal((8, 64)), QuantSpec(4, 32), np.eye(32))

def test_gptq_moe_experts_bundle(tmp_path):
    "Per-expert Hessians from routed tokens, GPTQ per expert, never worse than RTN, bundle opens in stock mlx_lm."
    model = tiny_model('qwen2_moe')
    inv = inventory(model)
    hs = collect_hessians(model, mx.random.randint(0, 256, (4, 32)))
    plan = uniform_plan(inv, 4, 32, 'gptq')
    for t in inv:
        if t.role == 'embed': plan.specs[t.path] = QuantSpec(4, 32, 'mse')   # an untied embedding has no input Hessian
    qw = quantize_weights(float_weights(model, inv), plan, hessians=hs)
    p = 'model.layers.0.mlp.switch_mlp.down_proj'
    assert len(qw[p].meta['method_used']) == 4
    fw = float_weights(model, inv)
    for e in range(4):   # never worse than RTN on each expert's own Hessian
        H = np.array(hs.H[p][e])
        got = hessian_error(np.array(fw[p][e]), np.array(qw[p].dequantize()[e]), H)
        rtn = hessian_error(np.array(fw[p][e]), np.array(rtn_quantize(fw[p][e], QuantSpec(4, 32)).dequantize()), H)
        assert got <= rtn * (1 + 1e-6)
    _, src = tiny_source(tmp_path/'src', 'qwen2_moe', model)
    b = save_bundle(tmp_path/'b', model, qw, plan, src)
    man = read_manifest(b)
    assert man['tensors'][p]['method'] == 'gptq' and len(man['tensors'][p]['method_used']) == 4
    from mlx_lm.utils import load_model as stock_load
    stock, _ = stock_load(b)
    stock.set_dtype(mx.float32)
    ours, _, _ = load_bundle(b, tokenizer=False)
    x = mx.array([[3, 1, 4, 1, 5, 9, 2, 6]])
    assert mx.array_equal(stock(x), ours(x)).item()

def test_experts_without_tokens_fall_back_to_pooled_hessian():
    cfg = dict(TINY_CONFIGS['qwen2_moe'], num_experts=16)
    from jang_research.models import model_classes
    mc, ac = model_classes(cfg)
    mx.random.seed(1)
    m = mc(ac.from_dict(cfg))
    m.set_dtype(mx.float32)
    hs = collect_hessians(m, mx.random.randint(0, 256, (1, 3)))    # 3 tokens x top-2 < 16 experts
    p = 'model.layers.0.mlp.switch_mlp.gate_proj'
    counts = np.array(hs.n_tokens[p])
    assert (counts == 0).any() and p in hs.notes and 'pooled Hessian' in hs.notes[p]
    e = int(np.flatnonzero(counts == 0)[0])
    assert np.isfinite(np.array(hs.H[p][e])).all() and float(np.trace(np.array(hs.H[p][e]))) > 0
