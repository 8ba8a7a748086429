"The console script end to end, as a user runs it."
import json, subprocess, sys
from pathlib import Path
import pytest

def run(*args, check=True):
    exe = Path(sys.executable).with_name('jang-research')
    r = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=900)
    if check and r.returncode != 0: raise AssertionError(f'exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}')
    return r

def test_quantize_eval_generate_roundtrip(tmp_path):
    b = tmp_path/'smol-3bit'
    r = run('quantize', '--bits', '3', '--group-size', '64', '--out', str(b))
    assert '3.500 effective bpw' in r.stdout
    assert (b/'jang_config.json').exists() and (b/'model.safetensors').exists()
    stamp = (b/'model.safetensors').stat().st_mtime_ns
    again = run('quantize', '--bits', '4', '--out', str(b), check=False)
    assert again.returncode == 2 and 'already exists' in again.stderr
    assert (b/'model.safetensors').stat().st_mtime_ns == stamp and json.loads((b/'jang_config.json').read_text())['tensors']['model.embed_tokens']['bits'] == 3
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.')]   # no temp folder left behind
    out = tmp_path/'row.json'
    run('eval', '--bundle', str(b), '--windows', '2', '--window-len', '64', '--json', str(out))
    row = json.loads(out.read_text())
    assert row['bpw'] == 3.5 and row['kl_mean']['value'] > 0.1 and row['kl_mean']['lo'] <= row['kl_mean']['value'] <= row['kl_mean']['hi']
    g = run('generate', '--bundle', str(b), '--prompt', 'Name a colour.', '--max-tokens', '6')
    assert g.stdout.strip()
    assert run('generate', '--bundle', str(b), '--prompt', 'Name a colour.', '--max-tokens', '6', '--decoder', 'compiled').stdout == g.stdout
    bad = run('generate', '--bundle', str(b), '--prompt', 'hi', '--decoder', 'fast', check=False)
    assert bad.returncode == 2 and "invalid choice: 'fast'" in bad.stderr

def test_force_replaces(tmp_path):
    b = tmp_path/'smol'
    run('quantize', '--bits', '8', '--out', str(b))
    run('quantize', '--bits', '4', '--out', str(b), '--force', '--tune-steps', '1')
    man = json.loads((b/'jang_config.json').read_text())
    assert man['tensors']['model.embed_tokens']['bits'] == 4
    tuning = man['notes']['tuning']   # --tune-steps reaches jr.quantize, on the model's own samples by default
    assert (tuning['steps'], tuning['windows'], tuning['windows_from']) == (1, [8, 128], 'samples'), tuning

@pytest.mark.parametrize('args,msg', [
    (['quantize', '--model', 'no-such-model', '--out', 'x'], 'unknown model'),
    (['quantize', '--bits', '7', '--out', 'x'], 'bits 7 not supported'),
    (['eval', '--bundle', '/nonexistent'], 'not a jang_research bundle'),
])
def test_bad_input_is_named(tmp_path, args, msg):
    r = run(*[str(tmp_path/a) if a == 'x' else a for a in args], check=False)
    assert r.returncode == 2 and msg in r.stderr, r.stderr
    assert not (tmp_path/'x').exists()

def test_quantize_with_mse_records_method(tmp_path):
    b = tmp_path/'smol-mse'
    run('quantize', '--bits', '3', '--method', 'mse', '--calib-windows', '2', '--calib-len', '64', '--out', str(b))
    m = json.loads((b/'jang_config.json').read_text())
    t = m['tensors']['model.layers.0.mlp.down_proj']
    assert t['method'] == 'mse' and t['method_used'] == 'mse'

def _tiny_with_tokenizer(folder):
    "A 2-layer random llama with SmolLM2's vocabulary and tokenizer, as a model folder the CLI accepts."
    import shutil
    from mlx.utils import tree_flatten
    from jang_research.backend import mx
    from jang_research.testing import TINY_CONFIGS
    from jang_research.models import model_path
    from jang_research.models import model_classes
    cfg = dict(TINY_CONFIGS['llama'], vocab_size=49152)
    model_cls, args_cls = model_classes(cfg)
    mx.random.seed(0)
    model = model_cls(args_cls.from_dict(cfg))
    model.set_dtype(mx.float32)
    folder.mkdir(parents=True)
    mx.save_safetensors(str(folder/'model.safetensors'), dict(tree_flatten(model.parameters())))
    (folder/'config.json').write_text(json.dumps(cfg))
    for f in model_path('smollm2-135m-instruct').glob('tokenizer*'): shutil.copy(f, folder/f.name)
    return folder

def test_profiles_and_target_bpw(tmp_path):
    src = str(_tiny_with_tokenizer(tmp_path/'tiny'))
    env_sweep = ['--calib-windows', '2', '--calib-len', '64']
    # a tier profile: attention at 8 bits, MLP at 3, recorded per tensor in the manifest
    run('quantize', '--model', src, '--profile', 'JANG_3M', '--group-size', '32', '--out', str(tmp_path/'p3m'))
    t = json.loads((tmp_path/'p3m'/'jang_config.json').read_text())['tensors']
    assert t['model.layers.0.self_attn.q_proj']['bits'] == 8 and t['model.layers.1.mlp.up_proj']['bits'] == 3
    # a measured allocation to 3.6 bpw, with a constraint on attention
    r = run('quantize', '--model', src, '--target-bpw', '3.6', '--group-size', '32', '--min-bits', 'attention=4', *env_sweep, '--out', str(tmp_path/'a36'))
    m = json.loads((tmp_path/'a36'/'jang_config.json').read_text())
    assert 'certified optimality gap' in r.stdout
    assert m['totals']['effective_bpw'] <= 3.6 and min(v['bits'] for k, v in m['tensors'].items() if 'self_attn' in k) >= 4
    assert len({v['bits'] for v in m['tensors'].values()}) > 1            # really mixed
    # the sweep is cached: the same allocation again measures nothing
    s = run('sensitivity', '--model', src, '--group-sizes', '32', *env_sweep)
    assert ' 0 ΔKL measured now' in s.stdout and 'most fragile' in s.stdout
    # impossible budgets and unknown profiles are named; nothing is written
    for args, msg in [(['--target-bpw', '1.0'], 'below the smallest possible plan'), (['--target-bpw', '30'], 'above the largest possible plan'),
                      (['--profile', 'JANG_5X'], 'unknown profile')]:
        bad = run('quantize', '--model', src, '--group-size', '32', *args, *env_sweep, '--out', str(tmp_path/'bad'), check=False)
        assert bad.returncode == 2 and msg in bad.stderr, bad.stderr
        assert not (tmp_path/'bad').exists()

def test_eval_coherence(tmp_path):
    "eval --coherence runs multi-turn conversations with the fake-quant weights and records the measures in the JSON row."
    r = run('eval', '--bits', '2', '--windows', '2', '--coherence', '--coherence-tokens', '24', '--turns', '2', '--json', str(tmp_path/'row.json'))
    assert 'coherence (4 prompts x 2 turns, up to 24 tokens each, temp 0.0)' in r.stdout
    c = json.loads((tmp_path/'row.json').read_text())['coherence']
    assert c['prompts'] == 4 and 0 < c['tokens'] <= 48 and 0 <= c['looped'] <= 1 and 0 < c['distinct2'] <= 1
