"""The front door (`import jang_research as jr`) and the command line are one pipeline: the same plan gives the same bundle."""
import json, subprocess, sys
from pathlib import Path

EXE = Path(sys.executable).with_name('jang-research')
API = '''
import sys
import jang_research as jr
m = jr.load('smollm2-135m-instruct')
plan = jr.allocate(jr.sensitivity(m), target_bpw=3.0)
jr.save(jr.quantize(m, plan, sequential=False), sys.argv[1])
'''

def test_cli_and_api_give_identical_bundles(tmp_path):
    # one pass of float Hessians: the CLI quantizes in two processes, the API in one; the bundles must still be identical
    cli = subprocess.run([str(EXE), 'quantize', '--target-bpw', '3.0', '--no-sequential', '--workers', '2', '--out', str(tmp_path/'cli')], capture_output=True, text=True, timeout=900)
    assert cli.returncode == 0, cli.stderr
    assert 'the measured table shipped for smollm2-135m-instruct' in cli.stdout
    api = subprocess.run([sys.executable, '-c', API, str(tmp_path/'api')], capture_output=True, text=True, timeout=900)
    assert api.returncode == 0, api.stderr
    a, b = (json.loads((tmp_path/d/'jang_config.json').read_text()) for d in ('cli', 'api'))
    assert a['tensors'] == b['tensors'] and a['totals'] == b['totals'] and a['totals']['effective_bpw'] <= 3.0
    weights = [f for f in a['files'] if f.endswith('.safetensors')]
    assert weights and all(a['files'][f]['sha256'] == b['files'][f]['sha256'] for f in weights)
    for d in ('cli', 'api'):
        card = (tmp_path/d/'README.md').read_text()
        assert 'base_model: HuggingFaceTB/SmolLM2-135M-Instruct' in card and f"{a['totals']['effective_bpw']:.3f} effective bits" in card

def test_import_is_light():
    "import jang_research preloads OpenBLAS and loads no mlx-lm or transformers: the front door imports each stage when it is used."
    code = ('import sys, jang_research as jr; from jang_research.backend import blas_info; '
            'print(sorted(m for m in ("mlx_lm", "transformers", "jang_research.sweep") if m in sys.modules)); print(callable(jr.sensitivity), blas_info()["blas"])')
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert r.stdout.split('\n')[:2] == ['[]', 'True openblas'], r.stdout + r.stderr

def _eval(bundle, *extra):
    r = subprocess.run([str(EXE), 'eval', '--bundle', str(bundle), '--windows', '4', '--window-len', '64', *extra, '--json', str(bundle) + '.json'],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    return json.loads(Path(str(bundle) + '.json').read_text()), r

def test_eval_accepts_other_tools_bundles(tmp_path):
    "A stock mlx-lm conversion and a bundle of the jang package, measured on the same text as ours."
    import importlib.util
    from jang_research.models import model_path
    src = model_path('smollm2-135m-instruct')
    ours = subprocess.run([str(EXE), 'quantize', '--bits', '4', '--out', str(tmp_path/'ours')], capture_output=True, text=True, timeout=900)
    assert ours.returncode == 0, ours.stderr
    conv = subprocess.run([sys.executable, '-m', 'mlx_lm', 'convert', '--hf-path', str(src), '--mlx-path', str(tmp_path/'mlx-lm'),
                           '-q', '--q-bits', '4', '--q-group-size', '64', '--dtype', 'float16'], capture_output=True, text=True, timeout=900)
    assert conv.returncode == 0, conv.stderr
    row_ours, _ = _eval(tmp_path/'ours')
    row_stock, r = _eval(tmp_path/'mlx-lm')
    assert 'is not a jang_research bundle: evaluated as a quantized MLX folder' in r.stderr
    assert row_stock['bpw'] == row_ours['bpw'] == 4.5
    assert abs(row_stock['kl_mean']['value'] - row_ours['kl_mean']['value']) < 0.05 * row_ours['kl_mean']['value']   # the same RTN
    if importlib.util.find_spec('jang_tools') is None: return   # the jang package is a dev extra; without it the rest is skipped
    conv = subprocess.run([sys.executable, '-m', 'jang_tools', 'convert', str(src), '-o', str(tmp_path/'jang'), '-p', 'JANG_4M', '-m', 'rtn'],
                          capture_output=True, text=True, timeout=900)
    assert conv.returncode == 0, conv.stderr[-3000:]
    row_jang, _ = _eval(tmp_path/'jang')
    assert 3.0 < row_jang['bpw'] < 8.5 and row_jang['kl_mean']['value'] > 0
