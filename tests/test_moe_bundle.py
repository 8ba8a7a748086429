"Architecture-generic bundles: tiny random-init MoE models with per-projection expert bits, saved and reloaded."
import pytest
from jang_research.backend import mx
from jang_research.inventory import inventory, uniform_plan, QuantSpec
from jang_research.methods import float_weights, quantize_weights, dequantized
from jang_research.models import swapped_weights
from jang_research.bundle import save_bundle, load_bundle, read_manifest, load_tensors
from conftest import tiny_source

EXPERT_BITS = {'gate': 2, 'up': 2, 'down': 4}

@pytest.mark.parametrize('family', ['qwen2_moe', 'mixtral'])
def test_moe_bundle_roundtrip(tmp_path, family):
    model, src = tiny_source(tmp_path/'src', family)
    inv = inventory(model)
    plan = uniform_plan(inv, 8, 32)
    for t in inv:
        if t.role == 'expert': plan.specs[t.path] = QuantSpec(EXPERT_BITS[t.kind], 32)
    qw = quantize_weights(float_weights(model, inv), plan)
    x = mx.array([[1, 5, 9, 200, 3, 7]])
    with swapped_weights(model, dequantized(qw)): fake = model(x)
    b = save_bundle(tmp_path/'bundle', model, qw, plan, src)
    m = read_manifest(b)
    experts = {p: t for p, t in m['tensors'].items() if t['role'] == 'expert'}
    assert len(experts) == 6 and all(t['bits'] == EXPERT_BITS[t['kind']] for t in experts.values())
    assert all(t['bits'] is None for t in m['tensors'].values() if t['role'] == 'router')
    assert sum(a.nbytes for a in load_tensors(b).values()) == m['totals']['total_bytes']
    from mlx_lm.utils import load_model as stock_load
    stock, _ = stock_load(b)
    stock.set_dtype(mx.float32)
    ours, _, _ = load_bundle(b, tokenizer=False)
    assert mx.array_equal(stock(x), ours(x)).item()
    assert mx.abs(ours(x) - fake).max().item() < 1e-3
