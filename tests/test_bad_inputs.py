"""Bad input as a new user gives it, against the command line: every case ends in exit 2 and one line
`jang-research CMD: error: …` that names the problem, with no traceback, and no file changed or left behind.
And `--force` replaces killed at several points: the old bundle intact or the new one complete."""
import json, os, shutil, signal, subprocess, sys
from pathlib import Path
import pytest

EXE = Path(sys.executable).with_name('jang-research')
SMALL_EVAL = ['--windows', '2', '--window-len', '32']

def run(*args, cwd=None, env=None, timeout=600):
    return subprocess.run([str(EXE), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)

def snapshot(*folders) -> dict:
    "Every file and folder below `folders`, with size and modification time (what 'nothing changed' compares)."
    out = {}
    for top in folders:
        for p in sorted(Path(top).rglob('*')):
            st = p.lstat()
            out[str(p)] = (p.is_dir(), st.st_size if not p.is_dir() else 0, st.st_mtime_ns if not p.is_dir() else 0)
    return out

def refused(args, msg, watch=(), **kw):
    "Run the CLI expecting a one-line refusal containing `msg`; nothing under `watch` may change."
    before = snapshot(*watch)
    r = run(*args, **kw)
    cmd = str(args[0])
    assert r.returncode == 2, f'exit {r.returncode}\nstdout: {r.stdout[-2000:]}\nstderr: {r.stderr[-3000:]}'
    lines = [l for l in r.stderr.splitlines() if l.strip() and not l.startswith('source model of')]
    assert len(lines) == 1 and lines[0].startswith(f'jang-research {cmd}: error: '), r.stderr[-3000:]
    assert msg in lines[0], lines[0]
    assert 'Traceback' not in r.stderr + r.stdout
    assert snapshot(*watch) == before, 'files changed'
    return lines[0]

@pytest.fixture(scope='module')
def work(tmp_path_factory):
    "A SmolLM2 8-bit bundle and a model folder copied from the prepared SmolLM2 (shared by the tests below; they never change them)."
    from jang_research.models import model_path
    d = tmp_path_factory.mktemp('bad')
    r = run('quantize', '--bits', '8', '--out', d/'b8')
    assert r.returncode == 0, r.stderr
    src = model_path('smollm2-135m-instruct')
    return dict(d=d, bundle=d/'b8', src=src)

def copy_bundle(work, name, edit=None):
    b = shutil.copytree(work['bundle'], work['d']/name)
    if edit: edit(b)
    return b

# ---- Severe 1: --force never deletes what is not ours -----------------------------------------

def test_force_refuses_user_folders_and_cwd(tmp_path):
    user = tmp_path/'thesis'
    user.mkdir()
    (user/'chapter1.tex').write_text('years of work')
    (user/'data').mkdir()
    (user/'data'/'x.csv').write_text('1,2')
    refused(['quantize', '--bits', '4', '--out', user, '--force'], 'not a bundle written by jang_research', watch=[tmp_path])
    refused(['quantize', '--bits', '4', '--out', '.', '--force'], 'current folder', watch=[tmp_path], cwd=user)
    refused(['quantize', '--bits', '4', '--out', '..', '--force'], 'current folder', watch=[tmp_path], cwd=user/'data')
    (tmp_path/'afile').write_text('not a folder')
    refused(['quantize', '--bits', '4', '--out', tmp_path/'afile', '--force'], 'is a file', watch=[tmp_path])
    refused(['quantize', '--bits', '4', '--out', tmp_path/'afile'/'below'], 'is a file, not a folder', watch=[tmp_path])
    refused(['quantize', '--bits', '4', '--out', '/proc/jang-out'], 'not writable', watch=[tmp_path])

def test_report_force_replaces_only_bundles(tmp_path):
    "report writes one folder per bundle under --out: a user folder at one of those names is refused before any work."
    name = tmp_path/'bundles'/'smollm2-135m-instruct-rtn-3-bit-g32'   # report's uniform row at 4.0 bpw
    name.mkdir(parents=True)
    (name/'mine.txt').write_text('keep')
    refused(['report', '--sizes', '4.0', '--out', tmp_path/'bundles', '--force', *SMALL_EVAL], 'not a bundle written by jang_research', watch=[tmp_path])

# ---- Severe 2: corrupt data is never scored ---------------------------------------------------

def test_corrupt_bundles_are_refused(work):
    def flip(b):
        f = b/'model.safetensors'
        data = bytearray(f.read_bytes())
        data[len(data) // 2] ^= 0x55
        f.write_bytes(bytes(data))
    flipped = copy_bundle(work, 'flipped', flip)
    for cmd in (['eval', '--bundle', flipped, *SMALL_EVAL], ['generate', '--bundle', flipped, '--prompt', 'Hi', '--max-tokens', '2']):
        refused(cmd, 'does not match its checksum', watch=[flipped])

    def nan_scale(b):
        from jang_research.backend import mx
        f = b/'model.safetensors'
        t = dict(mx.load(str(f)))
        k = 'model.layers.4.self_attn.q_proj.scales'
        t[k] = mx.full(t[k].shape, float('nan'), t[k].dtype)
        mx.save_safetensors(str(f), t, metadata={'format': 'mlx'})
    nan = copy_bundle(work, 'nan', nan_scale)
    refused(['eval', '--bundle', nan, *SMALL_EVAL], 'model.safetensors has', watch=[nan])
    refused(['eval', '--bundle', nan, '--no-verify', *SMALL_EVAL], 'NaN/Inf values in model.layers.4.self_attn.q_proj.scales', watch=[nan])

def test_inf_in_a_norm_is_refused(work, tmp_path):
    from jang_research.backend import mx
    m = shutil.copytree(work['src'], tmp_path/'inf-model')
    t = dict(mx.load(str(m/'model.safetensors')))
    t['model.layers.2.input_layernorm.weight'] = mx.where(mx.arange(576) == 7, mx.array(float('inf')), t['model.layers.2.input_layernorm.weight'])
    mx.save_safetensors(str(m/'model.safetensors'), t, metadata={'format': 'mlx'})
    refused(['quantize', '--model', m, '--bits', '4', '--out', tmp_path/'out'], 'NaN/Inf values in model.layers.2.input_layernorm.weight', watch=[tmp_path])

# ---- Severe 3: caches follow the weights; a bundle is scored against its own source -------------

def test_edited_copy_gets_its_own_caches(work, tmp_path):
    from jang_research.backend import mx
    m = shutil.copytree(work['src'], tmp_path/'edited')   # keeps the original's jang_source.json
    t = dict(mx.load(str(m/'model.safetensors')))
    t['model.norm.weight'] = t['model.norm.weight'] * 1.5
    mx.save_safetensors(str(m/'model.safetensors'), t, metadata={'format': 'mlx'})
    out = tmp_path/'row.json'
    r = run('eval', '--model', m, *SMALL_EVAL, '--json', out)
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())['kl_mean']['value'] < 1e-4   # the float model against its own reference, not the original's
    refused(['eval', '--bundle', work['bundle'], '--model', m, *SMALL_EVAL], 'has other weights', watch=[tmp_path, work['bundle']])

def test_eval_finds_the_bundle_source(work):
    r = run('eval', '--bundle', work['bundle'], *SMALL_EVAL)
    assert r.returncode == 0, r.stderr
    assert 'source model of' in r.stderr and 'RTN' not in r.stderr

# ---- Defects: one-line errors for every user mistake ------------------------------------------

def _hf_folder(work, tmp_path, name, edit):
    f = tmp_path/name
    f.mkdir()
    for p in work['src'].iterdir():
        if p.suffix != '.safetensors': shutil.copy(p, f/p.name)
    os.symlink(work['src']/'model.safetensors', f/'model.safetensors')
    edit(f)
    return f

def _config_edit(change):
    def edit(f):
        cfg = json.loads((f/'config.json').read_text())
        change(cfg)
        (f/'config.json').write_text(json.dumps(cfg))
    return edit

MODEL_FOLDERS = {
    'unknown model_type': (_config_edit(lambda c: c.update(model_type='no_such_arch')), "model_type 'no_such_arch' is not supported"),
    'broken config': (lambda f: (f/'config.json').write_text('{"model_type": '), 'config.json is not valid JSON'),
    'no config': (lambda f: (f/'config.json').unlink(), 'no config.json'),
    'no tokenizer': (lambda f: [p.unlink() for p in f.glob('tokenizer*')], 'has no tokenizer'),
    'no weights': (lambda f: (f/'model.safetensors').unlink(), 'has no *.safetensors weights'),
}

@pytest.mark.parametrize('case', list(MODEL_FOLDERS))
def test_bad_model_folders(work, tmp_path, case):
    edit, msg = MODEL_FOLDERS[case]
    f = _hf_folder(work, tmp_path, 'hf', edit)
    refused(['quantize', '--model', f, '--bits', '4', '--out', tmp_path/'out'], msg, watch=[tmp_path])

def test_tokenizer_past_the_vocabulary(work, tmp_path):
    "A tiny Llama of 256 rows shipped with SmolLM2's 49,152-token tokenizer: refused at load (MLX's CPU gather crashed on such ids)."
    from jang_research.testing import tiny_model, write_model_folder, TINY_CONFIGS
    f = write_model_folder(tiny_model('llama'), TINY_CONFIGS['llama'], tmp_path/'small-vocab', tokenizer_from=work['src'])
    refused(['quantize', '--model', f, '--bits', '4', '--out', tmp_path/'out'], "tokenizer has ids up to 49151 but the model's vocabulary has 256 rows", watch=[tmp_path])

def test_bad_sources_and_plans(work, tmp_path):
    w = [tmp_path, work['bundle']]
    refused(['quantize', '--model', tmp_path/'missing.gguf', '--out', tmp_path/'o'], 'no such GGUF file', watch=w)
    refused(['quantize', '--model', work['bundle'], '--out', tmp_path/'o'], 'is a quantized bundle, not a float model', watch=w)
    refused(['quantize', '--model', tmp_path/'nothing-here', '--out', tmp_path/'o'], 'unknown model', watch=w)
    plans = {'garbled.json': ('{"specs": {', 'is not valid JSON'), 'nospecs.json': ('{"float_dtype": "float16"}', "has no 'specs' object"),
             'strbits.json': ('{"specs": {"model.embed_tokens": {"bits": "4"}}}', "bits must be a whole number or null (float), got '4'"),
             'badkey.json': ('{"specs": {"model.embed_tokens": {"bitz": 4}}}', 'unknown or missing fields')}
    for name, (text, msg) in plans.items():
        (tmp_path/name).write_text(text)
        refused(['quantize', '--plan', tmp_path/name, '--out', tmp_path/'o'], msg, watch=w)
    refused(['quantize', '--plan', tmp_path/'absent.json', '--out', tmp_path/'o'], 'cannot read plan file', watch=w)
    from jang_research.bundle import read_manifest, plan_from_manifest
    plan = plan_from_manifest(read_manifest(work['bundle'])).to_json()
    (tmp_path/'partial.json').write_text(json.dumps({**plan, 'specs': dict(list(plan['specs'].items())[:5])}))
    refused(['quantize', '--plan', tmp_path/'partial.json', '--out', tmp_path/'o'], 'plan has no spec for 206 tensor(s)', watch=w)
    plan['specs']['model.layers.0.self_attn.q_proj']['group_size'] = 128   # 576 inputs: not a multiple of 128
    (tmp_path/'g128.json').write_text(json.dumps(plan))
    refused(['quantize', '--plan', tmp_path/'g128.json', '--out', tmp_path/'o'], 'input dim 576 cannot be stored as 8b/g128/rtn', watch=w)

def test_bad_bundles(work, tmp_path):
    def manifest_edit(change):
        def edit(b):
            f = b/'jang_config.json'
            if change is None: f.write_text('{"format": "jang_research.bundle", ')
            else:
                m = json.loads(f.read_text())
                change(m)
                f.write_text(json.dumps(m))
        return edit
    def truncate(b):
        f = b/'model.safetensors'
        f.write_bytes(f.read_bytes()[:len(f.read_bytes()) // 3])
    def garble(b):
        f = b/'model.safetensors'
        f.write_bytes(b'\xff' * 64 + f.read_bytes()[64:])
    cases = [('garbled manifest', manifest_edit(None), [], 'jang_config.json is not valid JSON'),
             ('incomplete manifest', manifest_edit(lambda m: m.pop('tensors')), [], 'is incomplete or damaged'),
             ('truncated', truncate, ['--no-verify'], 'is not a readable safetensors file'),
             ('truncated, verified', truncate, [], 'truncated or replaced'),
             ('garbled header', garble, ['--no-verify'], 'is not a readable safetensors file'),
             ('config contradicts', lambda b: _config_edit(lambda c: c['quantization'].update(bits=3))(b), [], 'disagrees with the manifest at bits'),
             ('config block missing', lambda b: _config_edit(lambda c: c.pop('quantization'))(b), [], 'has no quantization block'),
             ('no tokenizer', lambda b: [p.unlink() for p in b.glob('tokenizer*')], ['--no-verify'], 'no tokenizer files')]
    for i, (label, edit, extra, msg) in enumerate(cases):
        b = copy_bundle(work, f'bad{i}', edit)
        refused(['eval', '--bundle', b, *extra, *SMALL_EVAL], msg, watch=[b])
        shutil.rmtree(b)

def test_arguments_checked_before_any_work(work, tmp_path):
    "Refusals that need no model come before it is loaded; those that need one come before calibration, sweeps or writes."
    cache = tmp_path/'cache'
    cache.mkdir()
    for sub in ('models', 'hashes', 'gguf'):
        (cache/sub).symlink_to(Path(work['src']).parent.parent/sub, target_is_directory=True)
    env = {**os.environ, 'JANG_CACHE': str(cache)}
    w = [tmp_path, work['bundle']]
    for args, msg in [(['quantize', '--group-size', '1000'], 'group size 1000 not supported'),
                      (['quantize', '--bits', '7'], 'bits 7 not supported'),
                      (['quantize', '--target-bpw', 'nan'], 'must be a finite number > 0'),
                      (['quantize', '--target-bpw', '0.5'], 'below the smallest possible plan'),
                      (['quantize', '--target-bpw', '100'], 'above the largest possible plan'),
                      # RTN options with scales on 4-bit grids reach below RTN's 2.5 bpw: their bytes are counted
                      (['quantize', '--methods', 'rtn', '--scale-bits', '4', '--target-bpw', '1.0'], 'below the smallest possible plan, 2.222 bpw'),
                      (['quantize', '--recipe', 'JANGTQ_K'], 'this model has none (a dense model)'),
                      (['quantize', '--calib-windows', '0', '--method', 'gptq'], 'must be a finite number > 0'),
                      (['quantize', '--out', work['bundle']], 'already exists')]:
        out = [] if '--out' in args else ['--out', tmp_path/'o']
        refused([*args, *out], msg, watch=w, env=env)
    assert not [p for p in cache.iterdir() if not p.is_symlink()], 'a refused command wrote to the cache'
    refused(['generate', '--prompt', 'Hi', '--max-tokens', '0'], 'must be a finite number > 0', watch=w)
    refused(['generate', '--prompt', 'Hi', '--max-tokens', '-5'], 'must be a finite number > 0', watch=w)
    refused(['generate', '--prompt', '  ', '--no-chat'], 'prompt is empty', watch=w)
    refused(['generate', '--bundle', work['bundle'], '--prompt', 'word ' * 9000], "exceeds the model's context of 8192 tokens", watch=w)
    (tmp_path/'row.json').write_text('{}')
    refused(['eval', '--json', tmp_path/'row.json', *SMALL_EVAL], 'already exists; pass --force', watch=w)

def test_damaged_cache_file_is_named(work, tmp_path):
    cache = tmp_path/'cache'
    cache.mkdir()
    for sub in ('models', 'hashes'):
        (cache/sub).symlink_to(Path(work['src']).parent.parent/sub, target_is_directory=True)
    env = {**os.environ, 'JANG_CACHE': str(cache)}
    assert run('eval', *SMALL_EVAL, env=env).returncode == 0
    [ref] = list((cache/'reference').glob('*.safetensors'))
    ref.write_bytes(b'garbage')
    line = refused(['eval', *SMALL_EVAL], f"cache file {ref} is damaged", env=env)
    assert f"rm '{ref}'" in line

def test_disk_full_is_named(tmp_path):
    small = tmp_path/'small'
    small.mkdir()
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', str(small)], capture_output=True).returncode:
        pytest.skip('cannot mount a small tmpfs here (needs root)')
    try:
        refused(['quantize', '--bits', '4', '--out', small/'b'], 'not enough disk space', watch=[small])
        assert list(small.iterdir()) == []
    finally: subprocess.run(['umount', str(small)])

# ---- Defect 6: a --force replace killed at any point -------------------------------------------

KILLER = '''
import os, signal, sys
import jang_research.files as files, jang_research.bundle as bundle
from jang_research.cli import main
point = sys.argv[1]
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
def after(fn, then):
    def wrapped(*a, **k):
        r = fn(*a, **k)
        then()
        return r
    return wrapped
if point == 'writing': bundle.file_record = lambda f: die()                      # tensors written, manifest not yet
if point == 'before-swap': files.exchange = lambda a, b: die()
if point == 'after-swap': files.exchange = after(files.exchange, die)             # new in place, old not yet deleted
if point == 'deleting-old':
    real = files.shutil.rmtree
    files.shutil.rmtree = lambda p, **k: (os.remove(next(x for x in __import__('pathlib').Path(p).rglob('*.safetensors'))), die())
if point == 'between-renames':                                                   # a system without an atomic swap
    files.exchange = lambda a, b: False
    real_rename = os.rename
    def rename(a, b):
        real_rename(a, b)
        if str(a) == sys.argv[2]: die()                                          # the old bundle moved aside, the new one not yet in
    files.os.rename = rename
sys.exit(main(['quantize', '--bits', '4', '--out', sys.argv[2], '--force']))
'''

@pytest.mark.parametrize('point', ['writing', 'before-swap', 'after-swap', 'deleting-old', 'between-renames'])
def test_killed_force_replace(work, tmp_path, point):
    from jang_research.bundle import load_bundle
    from jang_research.files import clean_stale
    b = shutil.copytree(work['bundle'], tmp_path/'b')
    r = subprocess.run([sys.executable, '-c', KILLER, point, str(b)], capture_output=True, text=True, timeout=600)
    assert r.returncode == -signal.SIGKILL, r.stderr[-3000:]
    clean_stale(b)   # what the next run does first
    _, _, m = load_bundle(b, tokenizer=False)   # checksums verified: complete, old or new
    bits = m['tensors']['model.layers.0.mlp.down_proj']['bits']
    assert bits == (4 if point in ('after-swap', 'deleting-old') else 8), (point, bits)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['b'], 'staging folders left behind'
