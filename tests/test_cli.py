"The console script end to end, as a user runs it."
import json, os, subprocess, sys
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

def test_force_replaces(tmp_path):
    b = tmp_path/'smol'
    run('quantize', '--bits', '8', '--out', str(b))
    run('quantize', '--bits', '4', '--out', str(b), '--force')
    assert json.loads((b/'jang_config.json').read_text())['tensors']['model.embed_tokens']['bits'] == 4

@pytest.mark.parametrize('args,msg', [
    (['quantize', '--model', 'no-such-model', '--out', 'x'], 'unknown model'),
    (['quantize', '--bits', '7', '--out', 'x'], 'bits=7'),
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
