"""The quality frontier: every row measured on held-out text, at 2.25–4.5 bpw, in one table and one chart.

Rows (all fake-quant fp32 against the float model, 16 x 128 held-out tokens unless --windows/--window-len):
  ours      the all-method allocator (the shipped table: rtn/mse/gptq at 2-8 bits x g32/64/128, tq/tq_gptq at 1-4 bits
            of every tensor; quantized sequentially, jr.quantize's default) and the RTN-only allocator (the same table
            restricted to RTN) at every --sizes target; at the target sizes (2.5/3/3.5/4/4.5) also the allocator without
            affine g32 options of >= 4 bits, which reproduce the GGUF sources' own 4-bit g32 grids exactly
  uniform   RTN 2/3-bit g32, 2/3/4-bit g64 and g128; GPTQ (ours) 2/3/4-bit g64
  mlx-lm    its mixed_* recipes (its own predicate); `mlx_lm.quant.gptq` at 2 and 4 bits (it accepts 2/4/8) with the
            rest (the embedding) at its default 6 bits, and 2-bit with the rest at 4; `mlx_lm.quant.dynamic_quant`
            (low 2-bit / high 4-bit g64: one sensitivity estimate, then a threshold per size) — each run by mlx-lm's
            own code, its output folder scored like a bundle
  JANG      the eleven tier profiles (profiles that give one plan on this model are measured once)

mlx-lm's commands run on the fp32 model (fp16 math is emulated on this CPU); their fp32 scales, biases and norms are
then stored in fp16, as they would be from an fp16/bf16 model, so sizes compare.
mlx-lm's quantizers read ~/.cache/mlx-lm/calibration_v5.txt: our calibration text is written there when that
file is absent (a different file already there stops the run: it is not ours to replace).

Every row is cached in <work>/rows.jsonl as it is measured (a re-run measures only what is missing), so stages can
run as separate processes: `--stage peers` in one and `--stage ours` in the other use both cores.

Usage: python benchmarks/bench_frontier.py [--model smollm2-135m-instruct] [--stage all|ours|peers|table]
           [--work bench/frontier] [--json benchmarks/results/frontier_smollm2.json] [--chart ....html]
"""
import argparse, json, shutil, subprocess, sys, time
from pathlib import Path

SIZES = (2.25, 2.5, 2.75, 3.0, 3.25, 3.5, 4.0, 4.5)
TARGETS = (2.5, 3.0, 3.5, 4.0, 4.5)   # the sizes the issue sets quality targets at
GPTQ_SAMPLES, GPTQ_SEQ = 32, 512     # mlx-lm GPTQ calibration: 32 x 512 tokens (its default, all ~500 windows, would take hours here)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--sizes', type=float, nargs='+', default=list(SIZES))
    ap.add_argument('--stage', default='all', choices=['all', 'ours', 'peers', 'table'])
    ap.add_argument('--work', default='bench/frontier', help='row cache and peer output folders')
    ap.add_argument('--rows', default='all', choices=['all', 'allocators', 'baselines'], help="with --stage ours: only these of our rows (two processes, two cores)")
    ap.add_argument('--skip-nogrid', action='store_true',
                    help="leave out the allocator rows without affine g32 options of >= 4 bits (at each target size, a full quantization each)")
    ap.add_argument('--windows', type=int, default=16)
    ap.add_argument('--window-len', type=int, default=128)
    ap.add_argument('--json', help='write every row here')
    ap.add_argument('--chart', help='write the altair chart (KL vs bpw) here (.html or .json)')
    a = ap.parse_args()
    import jang_research as jr
    m = jr.load(a.model)
    work = (Path(a.work)/m.name).resolve()   # mlx-lm's commands run with this folder as their working directory
    work.mkdir(parents=True, exist_ok=True)
    cache = RowCache(work/'rows.jsonl')
    if a.stage in ('all', 'peers'): run_peers(m, a, work, cache)
    if a.stage in ('all', 'ours'): run_ours(m, a, cache)
    rows = cache.rows()
    if a.stage in ('all', 'table'):
        print_table(rows, a.sizes)
        if a.json: Path(a.json).write_text(json.dumps(dict(model=m.name, sizes=a.sizes, rows=rows), indent=1))
        if a.chart:
            from jang_research.allocation import frontier_chart
            frontier_chart(rows, f'{m.name}: the quality frontier').save(a.chart)

class RowCache:
    "Measured rows by label, appended to a JSONL file as each is measured."
    def __init__(self, path): self.path = Path(path)
    def rows(self) -> list:
        if not self.path.exists(): return []
        rows = {}
        for line in self.path.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                rows[r['label']] = r
        return list(rows.values())
    def has(self, label) -> bool: return any(r['label'] == label for r in self.rows())
    def add(self, row):
        with open(self.path, 'a') as f: f.write(json.dumps(row) + '\n')

def measure(m, a, cache, label, family, make, **extra):
    "Measure the row `label` unless cached: `make()` returns a Quantized or a folder; prints one line."
    import jang_research as jr
    if cache.has(label): return
    t = time.time()
    q = make()
    t_quant = time.time() - t
    row = jr.evaluate(m, q, windows=a.windows, window_len=a.window_len, label=label)
    row.update(family=family, quantize_s=round(t_quant, 1), eval_s=round(time.time() - t - t_quant, 1), windows=[a.windows, a.window_len], **extra)
    if isinstance(q, jr.Quantized) and 'predicted' in q.plan.meta: row['predicted'] = q.plan.meta['predicted']
    if isinstance(q, jr.Quantized): row.update(q.settings)   # how its Hessian methods were calibrated (sequential or one pass)
    cache.add(row)
    print(f"  {family:<9} {label:<30} {row['bpw']:6.3f} bpw  KL {row['kl_mean']['value']:.4f}  top-1 {row['top1']['value']:.3f}"
          f"  ({t_quant:.0f} s + {row['eval_s']:.0f} s)", flush=True)

def mlx_lm_calibration() -> Path:
    "Our calibration text where mlx-lm's quantizers read theirs, so nothing is downloaded; another file already there is not ours to replace."
    from jang_research.data import calibration_text
    from jang_research.files import write_atomic
    f, text = Path.home()/'.cache/mlx-lm/calibration_v5.txt', calibration_text()
    if f.exists():
        if f.read_text(encoding='utf-8', errors='replace') != text:
            sys.exit(f"bench_frontier: error: {f} holds other text; move it away to run mlx-lm's quantizers on our calibration text")
        return f
    f.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(f, lambda p: p.write_text(text, encoding='utf-8'))
    return f

# mlx-lm's command as `python -m` would run it, after our backend has preloaded OpenBLAS (MLX's own CPU BLAS is
# 20-40x slower here: its GPTQ Hessians alone took 18 min a batch without it); mlx-lm's code is unchanged
RUN_MLX_LM = '''
import sys, runpy, jang_research.backend
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)
'''

ESTIMATE_SENSITIVITIES = '''
import sys, json, jang_research.backend
import mlx.core as mx
from mlx_lm.utils import load
from mlx_lm.quant.utils import load_data
from mlx_lm.quant.dynamic_quant import estimate_sensitivities
src, out, n, seq = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
mx.random.seed(123)   # the command's default seed
model, tokenizer = load(src)
# batches of 1, not its default 4: the same mean gradient (every sample is seq tokens long), a quarter of the
# activation memory (Gemma's 262k-row head at batch 4 took the fp32 estimate past 19 GB on this 24 GB machine)
sens = estimate_sensitivities(model, load_data(tokenizer, n, seq), 2, 64, 4, 64, batch_size=1)
open(out, 'w').write(json.dumps(sens))
'''

def run_mlx_lm(command:str, args:list, out:Path, cwd:Path) -> float:
    "`python -m mlx_lm.quant.<command> ...` writing folder `out` (a half-written one from a killed run is ours to redo); seconds it ran."
    done = out/'run_seconds.txt'
    if done.exists(): return float(done.read_text())
    if out.exists(): shutil.rmtree(out)
    t = time.time()
    with open(cwd/f'{out.name}.log', 'w') as log:
        subprocess.run([sys.executable, '-c', RUN_MLX_LM, f'mlx_lm.quant.{command}', *args, '--mlx-path', str(out)],
                       cwd=cwd, stdout=log, stderr=subprocess.STDOUT, check=True)
    secs = time.time() - t
    done.write_text(f'{secs:.0f}')
    return secs

def sixteen_bit(out:Path):
    "Store a peer folder's fp32 tensors (scales, biases, norms) in fp16, as mlx-lm writes them from an fp16/bf16 model: it ran on fp32 here only because this CPU emulates fp16 math."
    import mlx.core as mx
    done = out/'fp16_scales.txt'
    if done.exists(): return
    for f in sorted(out.glob('*.safetensors')):
        arrays = mx.load(str(f))
        mx.save_safetensors(str(f), {k: v.astype(mx.float16) if v.dtype == mx.float32 else v for k, v in arrays.items()}, metadata={'format': 'mlx'})
    done.write_text('fp32 tensors stored as fp16\n')

def run_peers(m, a, work:Path, cache):
    "mlx-lm's GPTQ (2 and 4 bits) and dynamic_quant (2/4-bit at every size its range allows), each by its own command."
    mlx_lm_calibration()
    src = str(m.path)
    # its defaults (the embedding, which GPTQ skips, at 6 bits), and 2-bit with the embedding at 4 to reach the small sizes
    for bits, fallback in ((2, 6), (4, 6), (2, 4)):
        out = work/(f'mlx-lm-gptq-{bits}bit' + ('' if fallback == 6 else f'-rest{fallback}'))
        args = ['--model', src, '--bits', str(bits), '--fallback-bits', str(fallback), '--num-samples', str(GPTQ_SAMPLES), '--sequence-length', str(GPTQ_SEQ)]
        secs = run_mlx_lm('gptq', args, out, work)
        sixteen_bit(out)
        label = f'mlx-lm GPTQ {bits}-bit g64' + ('' if fallback == 6 else f', rest {fallback}-bit')
        measure(m, a, cache, label, 'mlx-lm', lambda: out, peer_s=secs)
    # the sensitivity estimate runs once, each size then only sets a threshold. mlx-lm's command estimates it from
    # every 512-token window of the calibration text (134 batches here, 87 s each on this CPU: 3 h 15 min), so its
    # own estimate_sensitivities runs on GPTQ_SAMPLES windows drawn by its own load_data, as its GPTQ command does
    sens = work/'dynamic_quant_sensitivities.json'
    if not sens.exists():
        t = time.time()
        subprocess.run([sys.executable, '-c', ESTIMATE_SENSITIVITIES, src, str(sens), str(GPTQ_SAMPLES), str(GPTQ_SEQ)], check=True)
        (work/'dynamic_quant_sensitivities_seconds.txt').write_text(f'{time.time() - t:.0f}')
    for s in a.sizes:
        if not 2.5 < s < 4.5: continue    # 2-bit g64 everywhere is 2.5 bpw, 4-bit g64 everywhere 4.5
        out = work/f'mlx-lm-dynamic-{s:g}'
        # its size target counts the fp32 scales and biases it writes here: 0.5 bpw more than the fp16 ones they become
        args = ['--model', src, '--target-bpw', str(s + 0.5), '--low-bits', '2', '--high-bits', '4']
        secs = run_mlx_lm('dynamic_quant', args + ['--sensitivities', str(sens)], out, work)
        sixteen_bit(out)
        measure(m, a, cache, f'mlx-lm dynamic_quant @{s:g}', 'mlx-lm', lambda: out, peer_s=secs, target=s)

def run_ours(m, a, cache):
    "Float, uniform RTN/GPTQ, mlx-lm's mixed recipes, JANG profiles, and both allocators at every size."
    import jang_research as jr
    from jang_research.backend import JangError
    from jang_research.inventory import uniform_plan, QuantSpec
    from jang_research.allocation import JANG_PROFILES, profile_plan, mlx_recipe_plan
    from jang_research.cli import MLX_RECIPES
    inv = m.inventory
    q = lambda plan: (lambda: jr.quantize(m, plan, progress=False))
    if not cache.has('float'):
        row = jr.evaluate(m, windows=a.windows, window_len=a.window_len, label='float')
        cache.add({**row, 'family': 'float'})
    table = jr.sensitivity(m, progress=False)
    rtn_only = table.only(('rtn',))
    print(f"{m.name}: table {table.meta.get('shipped', 'swept')} with methods {sorted({r['method'] for r in table.rows.values()})}", flush=True)
    # SmolLM2's and Gemma's sources are GGUF grids of 4 bits in groups of 32: affine g32 options at >= 4 bits store those tensors
    # exactly (notebook 21), which flatters the frontier at >= 4 bpw; these rows say what the allocator does without them
    no_grid = table.only(keep=lambda r: not (r['group_size'] == 32 and r['bits'] >= 4 and r['method'] in ('rtn', 'mse', 'gptq')))
    for s in (a.sizes if a.rows in ('all', 'allocators') else ()):
        variants = [(f'allocator @{s:g}', 'ours', table), (f'allocator RTN-only @{s:g}', 'ours-rtn', rtn_only)]
        if s in TARGETS and not a.skip_nogrid: variants.append((f'allocator @{s:g} w/o g32 >=4b', 'ours-nogrid', no_grid))
        for label, family, t in variants:
            try: plan = jr.allocate(t, target_bpw=s)
            except JangError as e:   # e.g. below the smallest plan of the RTN options (2-bit g64 everywhere)
                print(f"  {family:<9} {label:<30} not reachable: {e}")
                continue
            measure(m, a, cache, label, family, q(plan), target=s)
    if a.rows == 'allocators': return
    for g in (32, 64, 128):
        for b in ((2, 3) if g == 32 else (2, 3, 4)):
            measure(m, a, cache, f'RTN {b}-bit g{g}', 'uniform', q(uniform_plan(inv, b, g)))
    for b in (2, 3, 4):
        plan = uniform_plan(inv, b, 64)
        plan.specs = {p: QuantSpec(s.bits, s.group_size, 'gptq') for p, s in plan.specs.items()}
        measure(m, a, cache, f'GPTQ {b}-bit g64', 'uniform', q(plan))
    for r in MLX_RECIPES: measure(m, a, cache, f'mlx-lm {r}', 'mlx-lm', q(mlx_recipe_plan(m.model, inv, r)))
    seen = {}
    for n in JANG_PROFILES:   # several profiles give one plan on this model: measured once, listed under each name
        plan = profile_plan(inv, n)
        key = json.dumps(plan.to_json(), sort_keys=True)
        if key in seen and not cache.has(n):
            cache.add({**next(r for r in cache.rows() if r['label'] == seen[key]), 'label': n, 'same_plan_as': seen[key]})
            continue
        seen.setdefault(key, n)
        measure(m, a, cache, n, 'JANG', q(plan))

def kl(r) -> float: return r['kl_mean']['value']

def print_table(rows:list, sizes):
    "Every row by size, then at each size our allocator against the best other row (and the best mlx-lm row) of equal or smaller size."
    from jang_research.allocation import frontier_wins
    rows = sorted((r for r in rows if r['family'] != 'float'), key=lambda r: r['bpw'])
    print(f"{'family':<9} {'row':<34} {'bpw':>6} {'KL mean [95% CI]':>26} {'p99':>7} {'top-1':>6} {'PPL':>9}")
    for r in rows:
        k = r['kl_mean']
        print(f"{r['family']:<9} {r['label']:<34} {r['bpw']:6.3f} {k['value']:9.4f} [{k['lo']:.4f}, {k['hi']:.4f}] "
              f"{r['kl_p99']['value']:7.3f} {r['top1']['value']:6.3f} {r['ppl']['value']:9.2f}")
    print("\nat each size: the all-method allocator vs the best other row no larger than the target")
    kl = lambda r: r['kl_mean']['value']
    for s, ours, best, peer in frontier_wins(rows, sizes):
        line = f"  @{s:<5g} allocator KL {kl(ours):.4f} top-1 {ours['top1']['value']:.3f} at {ours['bpw']:.3f} bpw"
        if best: line += f"; best other {best['label']} KL {kl(best):.4f} ({kl(best) / kl(ours):.2f}x{'' if kl(ours) <= kl(best) else ', BELOW ours'})"
        if peer: line += f"; best mlx-lm row {peer['label']} ({kl(peer) / kl(ours):.2f}x)"
        print(line)

if __name__ == '__main__':
    main()
