"""The explorer without a browser: controls change the plan, size and bpw follow the byte accounting, more bits do not
raise KL, slider bursts are debounced, bad input is refused. Runs on SmolLM2-135M (the default model)."""
import asyncio
import pytest
from jang_research.backend import JangError
from jang_research.inventory import QuantSpec, plan_bytes, tensor_bytes, effective_bpw
from jang_research.allocation import profile_plan, allocate
from jang_research.explorer import Explorer, FLOAT_BITS

@pytest.fixture(scope='module')
def ex():
    yield Explorer.for_model('smollm2-135m-instruct', start=3, frontier=False, text=False, debounce=0)
    import ipywidgets
    ipywidgets.Widget.close_all()   # ipywidgets' registry of open widgets would keep the explorer, and its model, alive for the rest of the suite

def _bytes_of(ex, paths):
    by = {t.path: t for t in ex.live.inv}
    return sum(tensor_bytes(by[p].shape, ex.plan.specs[p]) for p in paths)

def test_group_slider_changes_exactly_its_tensors_and_the_bytes(ex):
    ex.set_plan(ex._uniform(3))
    m0, plan0 = dict(ex.metrics), dict(ex.plan.specs)
    g = ex.groups['L7 attn']
    old = _bytes_of(ex, g)
    ex.set_bits('L7 attn', 6)
    changed = [p for p in ex.plan.specs if ex.plan.specs[p] != plan0[p]]
    assert sorted(changed) == sorted(g)
    assert all(ex.plan.specs[p] == QuantSpec(6, 64) for p in g)
    new = _bytes_of(ex, g)
    m1 = ex.metrics
    assert round((m1['size_mb'] - m0['size_mb']) * 1e6) == new - old            # exact byte delta
    assert m1['size_mb'] == plan_bytes(ex.live.inv, ex.plan, ex.live.other).total_mb
    assert m1['bpw'] == effective_bpw(ex.live.inv, ex.plan)
    assert ex.sliders['L7 attn'].value == 6 and ex.profile_pick.value == '(custom)'

def test_tensor_picker_sets_one_tensor_and_the_group_slider_follows_the_majority(ex):
    ex.set_plan(ex._uniform(3))
    p = 'model.layers.3.mlp.down_proj'
    ex.tensor_pick.value = p
    assert ex.tensor_bits.value == 3
    ex.tensor_bits.value = 8
    assert ex.plan.specs[p] == QuantSpec(8, 64)
    assert sum(ex.plan.specs[q] != QuantSpec(3, 64) for q in ex.groups['L3 mlp']) == 1
    assert ex.sliders['L3 mlp'].value == 3                # gate+up outweigh down: the slider shows the majority
    ex.tensor_bits.value = FLOAT_BITS
    assert ex.plan.specs[p].is_float
    assert ex.metrics['size_mb'] == plan_bytes(ex.live.inv, ex.plan, ex.live.other).total_mb

def test_group_size_and_profile_and_target(ex):
    ex.set_plan(ex._uniform(4))
    ex.group_pick.value = 32
    assert all(s.group_size == 32 for s in ex.plan.specs.values() if not s.is_float)
    assert ex.metrics['bpw'] == pytest.approx(5.0)                          # 4 bits + 2×16 bits per 32 weights
    ex.group_pick.value = 64
    ex.profile_pick.value = 'JANG_3M'
    assert ex.plan.specs == profile_plan(ex.live.inv, 'JANG_3M', 64).specs
    assert ex.sliders['embed'].value == profile_plan(ex.live.inv, 'JANG_3M').specs['model.embed_tokens'].bits
    assert ex.table is not None and not ex.target.disabled
    ex.target.value = 3.2
    want, info = allocate(ex.table, ex.live.inv, target_bpw=3.2)
    assert ex.plan.specs == want.specs and ex.metrics['bpw'] <= 3.2 + 1e-9
    assert ex.profile_pick.value == '(custom)'

def test_more_bits_never_raise_kl(ex):
    "On the fixed windows: each group and the whole model, 2 → 3 → … → 8 bits → float, KL does not rise beyond noise."
    for group in ('embed', 'L29 mlp', 'L0 attn'):
        ex.set_plan(ex._uniform(3))
        kls = []
        for b in (2, 3, 4, 5, 6, 8, FLOAT_BITS):
            ex.set_bits(group, b)
            kls.append(ex.metrics['kl'])
        for a, b in zip(kls, kls[1:]): assert b <= a * 1.05 + 2e-3, (group, kls)
        assert kls[-1] < kls[0]
    kls = [ex.live.evaluate(ex._uniform(b))['kl'] for b in (2, 3, 4, 5, 6, 8)]
    assert all(b < a for a, b in zip(kls, kls[1:])), kls

def test_debounce_runs_one_evaluation_per_burst(ex):
    ex.set_plan(ex._uniform(3))
    n0 = len(ex.timings)
    async def burst():
        ex.debounce = 0.2
        try:
            for b in (4, 5, 6, 5): ex.set_bits('L12 mlp', b)
            assert 'queued' in ex.busy.value and len(ex.timings) == n0      # nothing evaluated yet
            await asyncio.sleep(0.6)
        finally: ex.debounce = 0
    asyncio.run(burst())
    assert len(ex.timings) == n0 + 1 and ex.busy.value.startswith('ready')
    assert all(ex.live.plan.specs[p] == QuantSpec(5, 64) for p in ex.groups['L12 mlp'])

def test_bad_input(ex, tmp_path):
    with pytest.raises(JangError, match='no slider'): ex.set_bits('L99 mlp', 4)
    with pytest.raises(JangError, match='not one of'): ex.set_bits('L1 mlp', 7)
    t = ex.table.save(tmp_path/'t.json')
    from jang_research.sweep import SensitivityTable
    with pytest.raises(JangError, match='measured on model'): SensitivityTable.load(t, fingerprint='0123456789abcdef')
