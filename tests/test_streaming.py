"""Layer-streamed quantization from the command line: `quantize --stream` writes the bundle `quantize` writes in
memory, from a bf16 folder in shards; what it cannot do is refused before any work, in one line."""
import json, subprocess, sys
from pathlib import Path
import pytest

EXE = Path(sys.executable).with_name('jang-research')

def run(*args, timeout=900, cache=None):
    import os
    env = {**os.environ, 'JANG_CACHE': str(cache)} if cache else None   # a cache of its own: nothing measured by another run is reused
    return subprocess.run([str(EXE), *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env)

def stored(d) -> dict:
    from jang_research.backend import mx
    out = {}
    for f in sorted(Path(d).glob('model*.safetensors')): out.update(mx.load(str(f)))
    return out

@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    from jang_research.models import prepare_model
    from jang_research.testing import tiny_folder
    return tiny_folder('qwen3', tmp_path_factory.mktemp('stream')/'qwen3-bf16', prepare_model('smollm2-135m-instruct', progress=False))

def test_stream_writes_the_in_memory_bundle(folder, tmp_path):
    from jang_research.backend import mx
    args = ['--model', folder, '--bits', '3', '--group-size', '32', '--method', 'gptq', '--calib-windows', '4', '--calib-len', '64']
    streamed = run('quantize', *args, '--stream', '--out', tmp_path/'streamed')
    assert streamed.returncode == 0, streamed.stderr[-3000:]
    whole = run('quantize', *args, '--no-stream', '--calib-on', 'text', '--out', tmp_path/'whole')   # streamed work calibrates on the text
    assert whole.returncode == 0, whole.stderr[-3000:]
    a, b = stored(tmp_path/'streamed'), stored(tmp_path/'whole')
    assert sorted(a) == sorted(b) and all(mx.array_equal(a[k], b[k]).item() for k in a)
    ma, mb = (json.loads((tmp_path/d/'jang_config.json').read_text()) for d in ('streamed', 'whole'))
    assert ma['tensors'] == mb['tensors'] and ma['totals'] == mb['totals'] and ma['notes']['streamed'] is True
    assert len(list((tmp_path/'streamed').glob('model-*.safetensors'))) == 3   # part 0 and one shard a block
    assert (tmp_path/'streamed'/'README.md').exists()

@pytest.mark.parametrize('extra, msg', [
    (['--stream', '--no-sequential'], '--stream quantizes block after block in one process'),
    (['--stream', '--calib-on', 'samples'], '--calib-on samples has the whole float model generate'),
])
def test_stream_refusals(folder, tmp_path, extra, msg):
    r = run('quantize', '--model', folder, *extra, '--out', tmp_path/'x')
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr[-3000:]
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and msg in lines[0], r.stderr
    assert not (tmp_path/'x').exists() and not list(tmp_path.glob('.x*'))

def test_stream_allocates_as_in_memory(folder, tmp_path):
    "--target-bpw --stream: sensitivity sweep and quantization both block by block, the bundle the in-memory command writes (each with a cache of its own)."
    args = ['--model', folder, '--target-bpw', '3.5', '--sweep', '--calib-windows', '4', '--calib-len', '64']
    streamed = run('quantize', *args, '--stream', '--out', tmp_path/'streamed', cache=tmp_path/'c1')
    assert streamed.returncode == 0, streamed.stderr[-3000:]
    whole = run('quantize', *args, '--no-stream', '--calib-on', 'text', '--out', tmp_path/'whole', cache=tmp_path/'c2')
    assert whole.returncode == 0, whole.stderr[-3000:]
    ma, mb = (json.loads((tmp_path/d/'jang_config.json').read_text()) for d in ('streamed', 'whole'))
    assert ma['tensors'] == mb['tensors'] and len({t['bits'] for t in ma['tensors'].values()}) > 1   # the same mixed plan
    from jang_research.backend import mx
    a, b = stored(tmp_path/'streamed'), stored(tmp_path/'whole')
    assert sorted(a) == sorted(b) and all(mx.array_equal(a[k], b[k]).item() for k in a)

def test_stream_sensitivity_cli(folder, tmp_path):
    "sensitivity --stream prints and writes the rows --no-stream does."
    args = ['--model', folder, '--calib-windows', '4', '--calib-len', '64', '--windows', '2', '--window-len', '32', '--force']
    rows = {}
    for mode in ('--stream', '--no-stream'):
        r = run('sensitivity', *args, mode, '--json', tmp_path/f'{mode}.json', '--table', tmp_path/f'{mode}.table.json', cache=tmp_path/mode)
        assert r.returncode == 0 and 'ΔKL measured now' in r.stdout, r.stderr[-3000:]
        rows[mode] = json.loads((tmp_path/f'{mode}.json').read_text())
        assert json.loads((tmp_path/f'{mode}.table.json').read_text())['meta']['model'] == Path(folder).name   # the table file is written, named for its model
    assert [(r['path'], r['label']) for r in rows['--stream']] == [(r['path'], r['label']) for r in rows['--no-stream']]
    for s, w in zip(rows['--stream'], rows['--no-stream']):
        assert s['proxy'] == pytest.approx(w['proxy'], rel=1e-4, abs=1e-9)
        assert (s['dkl'] is None) == (w['dkl'] is None) and (s['dkl'] is None or s['dkl'] == pytest.approx(w['dkl'], rel=1e-3, abs=1e-6))

def test_missing_shard_is_named(folder, tmp_path):
    import shutil
    broken = Path(shutil.copytree(folder, tmp_path/'broken'))
    next(broken.glob('model-00002-*')).unlink()
    r = run('quantize', '--model', broken, '--bits', '4', '--stream', '--out', tmp_path/'x')
    assert r.returncode == 2 and 'shard model-00002-of-' in r.stderr and 'is missing' in r.stderr, r.stderr[-3000:]
    assert not (tmp_path/'x').exists()

def test_stream_eval_gives_the_in_memory_numbers(folder, tmp_path):
    q = run('quantize', '--model', folder, '--bits', '3', '--group-size', '32', '--stream', '--out', tmp_path/'b')
    assert q.returncode == 0, q.stderr[-3000:]
    rows = {}
    for how in ('--stream', '--no-stream'):
        r = run('eval', '--bundle', tmp_path/'b', '--windows', '3', '--window-len', '32', how, '--json', tmp_path/f'{how}.json')
        assert r.returncode == 0, r.stderr[-3000:]
        rows[how] = json.loads((tmp_path/f'{how}.json').read_text())
    a, b = rows['--stream'], rows['--no-stream']
    assert a['size_mb'] == b['size_mb'] and a['bpw'] == b['bpw']
    for k in ('kl_mean', 'top1', 'ppl'):
        assert abs(a[k]['value'] - b[k]['value']) <= 1e-4 * max(1, abs(b[k]['value'])), (k, a[k], b[k])
    assert b['kl_mean']['value'] > 1e-3                       # a 3-bit model of random weights is not the float one

@pytest.mark.parametrize('extra, msg', [
    (['--bits', '4'], '--stream scores a bundle of ours'),
    (['--bundle', 'B', '--real'], '--stream scores a bundle of ours'),
])
def test_stream_eval_refusals(folder, tmp_path, extra, msg):
    if 'B' in extra:
        q = run('quantize', '--model', folder, '--bits', '4', '--out', tmp_path/'B')
        assert q.returncode == 0, q.stderr[-3000:]
        extra = [str(tmp_path/'B') if e == 'B' else e for e in extra]
    r = run('eval', '--model', folder, *extra, '--stream')
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr[-3000:]
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and msg in lines[0], r.stderr
