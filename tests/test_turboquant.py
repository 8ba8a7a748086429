"TurboQuant (JANGTQ) bundles end to end on CPU: tiny MoE models, a real dense model, and every refused input."
import json, shutil
import pytest
from jang_research.backend import mx, JangError
from jang_research.inventory import inventory, uniform_plan, QuantSpec, plan_bytes, other_params
from jang_research.testing import tiny_model
from jang_research.methods import float_weights, quantize_weights, dequantized, to_quantized_model
from jang_research.models import swapped_weights
from jang_research.quantized import RUNTIME_SIDECAR
from jang_research.bundle import save_bundle, load_bundle, read_manifest, bundle_fake_params, load_tensors
from jang_research.turboquant import (TQTensor, TurboQuantLinear, TurboQuantSwitchLinear, tq_quantize, tensor_seed, random_signs)
from jang_research.jangtq import jangtq_plan, tq_mlp_plan
from conftest import tiny_source

X = mx.array([[1, 5, 9, 200, 3, 7, 42, 11]])

@pytest.mark.parametrize('family', ['qwen2_moe', 'mixtral'])
def test_jangtq_moe_roundtrip(tmp_path, family):
    model, src = tiny_source(tmp_path/'src', family)
    inv = inventory(model)
    plan = jangtq_plan(inv)
    qw = quantize_weights(float_weights(model, inv), plan, tq_seed=3)
    with swapped_weights(model, dequantized(qw)): fake = model(X)
    b = save_bundle(tmp_path/'b', model, qw, plan, src)
    m = read_manifest(b)
    experts = {p: t for p, t in m['tensors'].items() if t['role'] == 'expert'}
    assert {t['kind']: (t['bits'], t['method'], t['group_size']) for t in experts.values()} == \
           {'gate': (2, 'tq', 0), 'up': (2, 'tq', 0), 'down': (4, 'tq', 0)}
    assert all(t['bits'] == 8 and t['method'] == 'rtn' for t in m['tensors'].values() if t['role'] in ('attention', 'embed', 'lm_head'))
    # bytes on disk (model files) are exactly the manifest's accounting; the sidecar holds one codebook per (bits, dim) and every sign vector
    assert sum(a.nbytes for a in load_tensors(b).values()) == m['totals']['total_bytes']
    side = mx.load(str(b/RUNTIME_SIDECAR))
    assert {t['runtime']['signs'] for t in experts.values()} | {t['runtime']['codebook'] for t in experts.values()} == set(side)
    for p, t in experts.items():
        assert t['runtime']['seed'] == tensor_seed(p, 3)
        assert mx.array_equal(side[t['runtime']['signs']].astype(mx.float32), random_signs(t['shape'][-1], t['runtime']['seed'])).item()
    live = to_quantized_model(tiny_model(family), qw, plan)
    ours, _, _ = load_bundle(b, tokenizer=False)
    assert isinstance(dict(ours.named_modules())[next(iter(experts))], TurboQuantSwitchLinear)
    assert mx.array_equal(ours(X), live(X)).item()
    assert mx.abs(ours(X) - fake).max().item() < 1e-3
    # fake-quant parameters straight from the bundle give the same logits as the runtime layers
    params = bundle_fake_params(b)
    fm = tiny_model(family)
    fm.load_weights(list(params.items()))
    assert mx.abs(fm(X) - ours(X)).max().item() < 1e-3

def test_stock_mlx_lm_refuses_tq_bundle(tmp_path):
    model, src = tiny_source(tmp_path/'src', 'qwen2_moe')
    inv = inventory(model)
    plan = jangtq_plan(inv)
    b = save_bundle(tmp_path/'b', model, quantize_weights(float_weights(model, inv), plan), plan, src)
    from mlx_lm.utils import load_model as stock_load
    with pytest.raises(ValueError, match='jang_research.bundle.load_bundle'): stock_load(b)
    assert read_manifest(b)['capabilities']['mlx_lm_loadable'] is False

def _bundle(tmp_path):
    model, src = tiny_source(tmp_path/'src', 'llama')
    inv = inventory(model)
    plan = tq_mlp_plan(inv, 3, base=uniform_plan(inv, 8))
    return save_bundle(tmp_path/'b', model, quantize_weights(float_weights(model, inv), plan, tq_seed=1), plan, src), plan

def _edit(b, tmp_path, sidecar=None, manifest=None, name='x'):
    d = tmp_path/name
    shutil.copytree(b, d)
    if sidecar:
        a = dict(mx.load(str(d/RUNTIME_SIDECAR)))
        sidecar(a)
        mx.save_safetensors(str(d/RUNTIME_SIDECAR), a)
    if manifest:
        m = json.loads((d/'jang_config.json').read_text())
        manifest(m)
        (d/'jang_config.json').write_text(json.dumps(m))
    return d

def test_refused_inputs(tmp_path):
    b, plan = _bundle(tmp_path)
    # an edited sidecar fails its checksum first; verify=False reaches the sidecar's own checks (bundles from before checksums)
    with pytest.raises(JangError, match=f'{RUNTIME_SIDECAR} (has .* bytes|does not match its checksum)'):
        load_bundle(_edit(b, tmp_path, sidecar=lambda a: a.update(x=mx.zeros(1)), name='chk'), tokenizer=False)
    m = read_manifest(b)
    p = 'model.layers.0.mlp.down_proj'
    info = m['tensors'][p]['runtime']
    n = m['tensors'][p]['shape'][-1]
    def short_signs(a): a[info['signs']] = a[info['signs']][:32]
    def wrong_seed(mm): mm['tensors'][p]['runtime']['seed'] = 12345
    def short_codebook(a): a[info['codebook']] = a[info['codebook']][:4]
    with pytest.raises(JangError, match=f'{p}: sign vector has 32 entries but the codes hold {n} input features'):
        load_bundle(_edit(b, tmp_path, sidecar=short_signs, name='s'), tokenizer=False, verify=False)
    with pytest.raises(JangError, match='does not match seed 12345'):
        load_bundle(_edit(b, tmp_path, manifest=wrong_seed, name='w'), tokenizer=False)
    with pytest.raises(JangError, match='codebook has 4 levels, 3-bit codes need 8'):
        load_bundle(_edit(b, tmp_path, sidecar=short_codebook, name='c'), tokenizer=False, verify=False)
    d = _edit(b, tmp_path, name='n')
    (d/RUNTIME_SIDECAR).unlink()
    with pytest.raises(JangError, match=f'no {RUNTIME_SIDECAR}'): load_bundle(d, tokenizer=False, verify=False)
    # codes whose width disagrees with the manifest (e.g. bits edited): refused before anything is built
    def more_bits(mm): mm['tensors'][p]['bits'] = 4
    with pytest.raises(JangError, match='does not match its manifest'):
        load_bundle(_edit(b, tmp_path, manifest=more_bits, name='bits'), tokenizer=False)
    # unsupported widths and shapes
    with pytest.raises(JangError, match='bits=5 not supported by TurboQuant'): QuantSpec(5, 0, 'tq')
    with pytest.raises(JangError, match='multiple of 32'): tq_quantize(mx.ones((4, 80)), QuantSpec(2, 0, 'tq'))
    t = tq_quantize(mx.random.normal((16, 128)), QuantSpec(2, 0, 'tq'), seed=4)
    layer = TurboQuantLinear(128, 16, 2, 0, seed=4)
    with pytest.raises(JangError, match='does not match seed 4'): layer.set_runtime(t.codebook, random_signs(128, 5))
    with pytest.raises(JangError, match='hold 128 input features'): layer.set_runtime(t.codebook, random_signs(96, 4))
    with pytest.raises(JangError, match='does not fit layer'): TurboQuantLinear(256, 16, 2, 0, seed=4)._load(t)
    # a plan may not put an embedding into TurboQuant runtime layers
    model = tiny_model('llama')
    inv = inventory(model)
    bad = uniform_plan(inv, 8)
    bad.specs['model.embed_tokens'] = QuantSpec(3, 0, 'tq')
    with pytest.raises(JangError, match='an embedding cannot be stored as TurboQuant codes'):
        to_quantized_model(model, quantize_weights(float_weights(model, inv), bad), bad)
    # the bundle itself stays loadable after all that
    ours, _, _ = load_bundle(b, tokenizer=False)
    assert mx.isfinite(ours(X)).all().item()

def test_smollm2_tq_mlp_bundle(tmp_path):
    "A real model: SmolLM2 with TurboQuant 3-bit MLP tensors, saved, reloaded; runtime logits = fake-quant; KL sane."
    from jang_research.models import load_model, model_path, model_fingerprint
    from jang_research.evaluation import Evaluator
    from jang_research.runtime import generate_text
    model, tok = load_model('smollm2-135m-instruct')
    src = model_path('smollm2-135m-instruct')
    inv = inventory(model)
    plan = tq_mlp_plan(inv, 3, base=uniform_plan(inv, 8))
    qw = quantize_weights(float_weights(model, inv), plan)
    ev = Evaluator(model, tok, model_fingerprint(src), n_windows=2, window_len=64)
    fake = ev.evaluate(dequantized(qw)).summary(n_boot=50)
    b = save_bundle(tmp_path/'smol-tq3', model, qw, plan, src)
    ours, otok, m = load_bundle(b)
    real = ev.evaluate_model(ours).summary(n_boot=50)
    assert abs(real['kl_mean'].value - fake['kl_mean'].value) < 0.02 * fake['kl_mean'].value + 1e-4
    # more bits, less damage: the same MLP tensors at TurboQuant 4 bits
    plan4 = tq_mlp_plan(inv, 4, base=uniform_plan(inv, 8))
    kl4 = ev.evaluate(dequantized(quantize_weights(float_weights(model, inv), plan4))).summary(n_boot=50)['kl_mean'].value
    assert 0 < kl4 < fake['kl_mean'].value, (kl4, fake['kl_mean'].value)
    fp = plan_bytes(inv, plan, other_params(model, inv))
    assert m['totals']['effective_bpw'] == pytest.approx(fp.effective_bpw)
    assert len(generate_text(ours, otok, 'What is the capital of France?', max_tokens=8)) > 0

def test_cli_tq_mlp_quantize_eval(tmp_path, capsys):
    "The CLI writes a TurboQuant-MLP bundle of the default model and evaluates it with the real TurboQuant layers."
    from jang_research.cli import main
    out = tmp_path/'smol-tq4'
    assert main(['quantize', '--bits', '8', '--tq-mlp', '4', '--tq-seed', '9', '--out', str(out)]) == 0
    m = read_manifest(out)
    mlp = [t for t in m['tensors'].values() if t['role'] == 'mlp']
    assert len(mlp) == 90 and all(t['method'] == 'tq' and t['bits'] == 4 and t['runtime']['seed'] > 0 for t in mlp)
    assert all(t['bits'] == 8 and t['method'] == 'rtn' for t in m['tensors'].values() if t['role'] == 'attention')
    assert main(['eval', '--bundle', str(out), '--windows', '1', '--window-len', '32', '--real']) == 0
    assert 'KL' in capsys.readouterr().out

def test_jangtq_gptq_feedback_per_expert():
    "tq_gptq on stacked experts: one GPTQ pass per expert with its own Hessian, never worse than plain TurboQuant."
    from jang_research.calibration import collect_hessians
    from jang_research.gptq import hessian_error
    model = tiny_model('qwen2_moe')
    inv = inventory(model)
    mx.random.seed(1)
    hs = collect_hessians(model, mx.random.randint(0, 256, (8, 32)))
    plan = jangtq_plan(inv, method='tq_gptq')
    qw = quantize_weights(float_weights(model, inv), plan, hessians=hs, tq_seed=2)
    p = next(t.path for t in inv if t.role == 'expert' and t.kind == 'down')
    assert isinstance(qw[p], TQTensor) and len(qw[p].meta['method_used']) == 4
    plain = quantize_weights({p: float_weights(model, inv)[p]}, jangtq_plan(inv), tq_seed=2)[p]
    w = float_weights(model, inv)[p]
    for e in range(4):
        assert hessian_error(w[e], qw[p].dequantize()[e], hs.H[p][e]) <= hessian_error(w[e], plain.dequantize()[e], hs.H[p][e]) * (1 + 1e-5)
    with pytest.raises(JangError, match='needs calibration Hessians'):
        quantize_weights(float_weights(model, inv), plan)
