"""A sensitivity sweep on one rank and shared by N ranks (ring backend on this host), side by side in one run.

The ranks are started by `jang-research launch -n N` (default) or by `mlx.launch -n N` (`--launcher mlx`), whose
output relay spins: on a 2-core machine it takes most of a core per rank and the shared sweep gets slower.

Each sweep starts from an empty sweep cache (the prepared model, its Hessians and reference logits are linked in
from the real cache, so only the sweep is timed), runs `jang-research sensitivity --json`, and the two JSON files
are compared row for row. MLX CPU ops use one core each, so on a 2-core machine two ranks should nearly halve the
wall time; what they do not halve (every rank loads the model, Hessians and windows; the gather) is printed.

Usage: python benchmarks/bench_ranks.py [--model smollm2-135m-instruct] [--ranks 2] [--launcher ours|mlx] [-- extra sensitivity args]
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

BIN = Path(sys.executable).parent

def sweep(model:str, ranks:int, real:Path, extra:list, launcher:str='ours') -> tuple[float, list, str]:
    "Wall seconds, rows and stdout of one sweep from an empty sweep cache."
    tmp = Path(tempfile.mkdtemp(prefix=f'jang-ranks{ranks}-'))
    for sub in ('models', 'hessians', 'reference'):
        if (real/sub).exists(): (tmp/sub).symlink_to(real/sub)
    cmd = [str(BIN/'jang-research'), 'sensitivity', '--model', model, '--json', str(tmp/'rows.json'), *extra]
    if ranks > 1 and launcher == 'mlx': cmd = [str(BIN/'mlx.launch'), '-n', str(ranks), *cmd]
    elif ranks > 1: cmd = [cmd[0], 'launch', '-n', str(ranks), *cmd[1:]]
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, JANG_CACHE=str(tmp)))
    wall = time.time() - t
    if r.returncode != 0 or not (tmp/'rows.json').exists(): sys.exit(f'{ranks} rank(s) failed:\n{r.stderr[-3000:]}')
    return wall, json.loads((tmp/'rows.json').read_text()), r.stdout

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--ranks', type=int, default=2)
    ap.add_argument('--launcher', choices=['ours', 'mlx'], default='ours', help='jang-research launch, or mlx.launch')
    ap.add_argument('extra', nargs='*', help='more `jang-research sensitivity` arguments (after --)')
    a = ap.parse_args()
    real = Path(os.environ.get('JANG_CACHE') or Path(os.environ.get('XDG_CACHE_HOME', Path.home()/'.cache'))/'jang_research')
    from jang_research.models import prepare_model
    prepare_model(a.model, progress=False)                      # converted once, outside the timed runs
    w1, rows1, out1 = sweep(a.model, 1, real, a.extra)
    wn, rowsn, outn = sweep(a.model, a.ranks, real, a.extra, a.launcher)
    line = lambda out: next(l for l in out.splitlines() if 'ΔKL measured now' in l)
    print(f"{a.model}: sensitivity sweep ({len(rows1)} rows), from an empty sweep cache, on {os.cpu_count()} cores")
    print(f"  1 rank : {w1:7.1f} s   | {line(out1)}")
    print(f"  {a.ranks} ranks: {wn:7.1f} s   | {line(outn)}   (started by {'mlx.launch' if a.launcher == 'mlx' else 'jang-research launch'})")
    print(f"  speed-up {w1 / wn:.2f}x on {a.ranks} ranks; rows identical: {rows1 == rowsn} "
          f"({sum(r['dkl'] is not None for r in rows1)} measured ΔKL, {len(rows1)} proxies)")

if __name__ == '__main__':
    main()
