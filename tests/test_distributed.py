"""The sensitivity sweep shared by two ranks (the ring backend on this host, started by `jang-research launch -n 2`
or by `mlx.launch -n 2`): the same rows as one process, one cache afterwards, and commands that cannot share their
work refused in one line."""
import json, os, subprocess, sys
from pathlib import Path
import pytest

BIN = Path(sys.executable).parent
SWEEP = ['--bits', '2', '4', '--methods', 'rtn', 'gptq', '--sample', '3', '--calib-windows', '2', '--calib-len', '64',
         '--windows', '2', '--window-len', '32']

def run(args, cache, ranks=1, launcher='ours', timeout=900):
    exe = [str(BIN/'jang-research')]
    if ranks > 1: exe = [str(BIN/'mlx.launch'), '-n', str(ranks), *exe] if launcher == 'mlx' else [*exe, 'launch', '-n', str(ranks)]
    # One BLAS thread in every process, one rank or two: on some CPUs OpenBLAS splits a matmul's rows between its
    # threads so that a few sums end in another order (seen in CI: ΔKL equal to 5e-7 relative, not bit for bit between
    # one 2-thread process and two 1-thread ranks). With equal arithmetic, any difference is the sharing's fault.
    env = dict(os.environ, JANG_CACHE=str(cache), OPENBLAS_NUM_THREADS='1')
    return subprocess.run([*exe, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env)

@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    from jang_research.models import prepare_model
    from jang_research.testing import tiny_folder
    return tiny_folder('llama', tmp_path_factory.mktemp('ranks')/'llama-bf16', prepare_model('smollm2-135m-instruct', progress=False))

def test_two_ranks_give_the_table_of_one(folder, tmp_path):
    one = run(['sensitivity', '--model', folder, *SWEEP, '--json', tmp_path/'one.json'], tmp_path/'cache1')
    assert one.returncode == 0, one.stderr[-3000:]
    two = run(['sensitivity', '--model', folder, *SWEEP, '--json', tmp_path/'two.json'], tmp_path/'cache2', ranks=2)
    assert two.returncode == 0, two.stderr[-3000:]
    a, b = (json.loads((tmp_path/f).read_text()) for f in ('one.json', 'two.json'))
    assert len(a) > 20 and a == b                      # every row, in the same order, bit for bit
    counts = [[l.split('; ')[1].split(' ΔKL')[0] for l in r.stdout.splitlines() if 'ΔKL measured now' in l] for r in (one, two)]
    assert len(counts[1]) == 1 and counts[0] == counts[1], (one.stdout, two.stdout)   # rank 0 alone prints; the ranks' counts summed
    caches = list((tmp_path/'cache2'/'sensitivity').iterdir())
    assert len(caches) == 1 and caches[0].suffix == '.jsonl', caches   # the ranks' files merged into the one cache
    again = run(['sensitivity', '--model', folder, *SWEEP], tmp_path/'cache2')   # one process reads what two measured
    assert again.returncode == 0 and ' 0 ΔKL measured now' in again.stdout, again.stdout + again.stderr[-2000:]

def test_a_killed_shared_sweep_resumes(folder, tmp_path):
    from jang_research.sweep import read_sweep_rows
    first = run(['sensitivity', '--model', folder, *SWEEP], tmp_path/'cache', ranks=2, launcher='mlx')
    assert first.returncode == 0, first.stderr[-3000:]
    f = next((tmp_path/'cache'/'sensitivity').glob('*.jsonl'))
    rows = f.read_bytes().splitlines(keepends=True)
    f.write_bytes(b''.join(rows[:5]))                                 # as if killed: most rows only in the rank files ...
    f.with_name(f'{f.stem}.rank1.jsonl').write_bytes(b''.join(rows[5:12]))
    f.with_name(f'{f.stem}.rank3.jsonl').write_bytes(b''.join(rows[12:20]) + rows[20][:30])   # ... of a 4-rank run, one cut short
    again = run(['sensitivity', '--model', folder, *SWEEP], tmp_path/'cache', ranks=2)
    assert again.returncode == 0, again.stderr[-3000:]
    assert not list(f.parent.glob('*.rank*.jsonl'))
    assert len(read_sweep_rows(f)) == len(rows)

def test_commands_that_do_not_share_are_refused(folder, tmp_path):
    r = run(['quantize', '--model', folder, '--bits', '4', '--out', tmp_path/'q'], tmp_path/'cache', ranks=2, launcher='mlx')
    # mlx.launch itself exits 0 whatever its ranks do: it reports each rank's exit code (and stops the other ranks once
    # one has ended, so a rank may end by its signal instead)
    assert 'exited with code 2' in r.stderr and 'exited with code 0' not in r.stderr, r.stderr[-3000:]
    assert "'quantize' runs in one process" in r.stderr and 'Traceback' not in r.stderr, r.stderr[-3000:]
    assert not (tmp_path/'q').exists() and not list(tmp_path.glob('.q*'))

def test_launch_refuses_what_does_not_share(folder, tmp_path):
    r = run(['quantize', '--model', folder, '--bits', '4', '--out', tmp_path/'q'], tmp_path/'cache', ranks=2)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr[-3000:]
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "launch runs a command that shares its work (sensitivity), not 'quantize" in lines[0], r.stderr
    assert not (tmp_path/'q').exists()
