"""Where a GPU decode step's time goes, kernel by kernel: Nsight Compute's duration of every kernel of a few decode steps,
summed per kind of kernel, next to the step's synchronous time measured without the profiler.

For each variant (a name of probe_step_cost.py: a plan of bench_decode.py, then -blocks / -tqblocks / -fused / -mma ...), this script
runs itself twice in a child process: once to time `--steps` synchronous decode steps (build + evaluate, after a 16-token
prompt), once under `ncu --profile-from-start off` where only those steps are profiled (cudaProfilerStart/Stop around them).
The package's kernels are named by their constants (`gemv affine4 28672x4096 norm swiglu`: bits, out x in, fusions; `E` for
stacked experts with the rows a call reads), with the bytes of weights they read per step and the implied GB/s; MLX's own
kernels by their function name. `kernels` is the sum of the kernels' durations; `gaps` = the step's time minus that sum:
launch latency between dependent kernels and the host's share of a synchronous step.

Needs MLX's CUDA backend and `ncu` on PATH (the device machine). Kernel durations under ncu are with warm caches (no flush)
and the GPU's own clocks (--clock-control none): a step's weights (GBs) do not fit the L2, so they come from HBM either way.

Usage: python benchmarks/probe_step_kernels.py --shape llama-8b --variants affine4-blocks mixed-blocks tq4-mlp-tqblocks [--steps 4]
"""
import argparse, csv, ctypes, ctypes.util, io, json, re, subprocess, sys, tempfile, time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

def profiler_switch():
    "(start, stop) of CUDA's profiler API for this process: cudaProfilerStart/Stop from the runtime MLX loaded, else the driver's."
    libs = [l.split()[-1] for l in Path('/proc/self/maps').read_text().splitlines() if 'libcudart' in l]
    for name in libs[:1] + [ctypes.util.find_library('cudart') or '']:
        if not name: continue
        try:
            lib = ctypes.CDLL(name)
            return lib.cudaProfilerStart, lib.cudaProfilerStop
        except (OSError, AttributeError): continue
    lib = ctypes.CDLL('libcuda.so.1')
    return lib.cuProfilerStart, lib.cuProfilerStop

def kernel_label(source:str) -> dict:
    "A package kernel's constants and fusion flags read off its source (what the child records for each kernel name)."
    consts = {k: int(v) for k, v in re.findall(r'constexpr int (\w+) = (\d+);', source)}
    flags = [k.lower() for k, v in re.findall(r'#define JANG_(NORM|RES|SWIGLU|PAIR|SPLIT) (\d)', source) if v == '1']
    return dict(consts=consts, flags=flags)

def record_kernel_names(path:Path):
    "Wrap mx.fast.cuda_kernel so every kernel the package makes is written to `path` (name -> constants and flags)."
    import mlx.core as mx
    made, make = {}, mx.fast.cuda_kernel
    def recording(*, name, source, header='', **kw):
        made[name] = kernel_label(header + source)
        path.write_text(json.dumps(made))
        return make(name=name, source=source, header=header, **kw)
    mx.fast.cuda_kernel = recording

def child(a):
    "Build the variant, prompt it, then time (or, under ncu, profile) `a.steps` synchronous decode steps."
    import jang_research  # noqa: F401  (before mlx: the package picks the BLAS)
    import mlx.core as mx
    if a.names: record_kernel_names(Path(a.names))
    from probe_step_cost import variant_model, primed_cache, use_mma
    use_mma(a.child)
    model, note = variant_model(a.child, a.shape, mx.bfloat16)
    cache = primed_cache(model)
    tok = mx.array([[5]])
    def step(tok):
        y = mx.argmax(model(tok, cache=cache)[:, -1], axis=-1)
        mx.eval(y, [c.state for c in cache])
        return y[None]
    for _ in range(8): tok = step(tok)   # every kernel compiled, the graphs warm
    start, stop = profiler_switch() if a.profile else (None, None)
    times = []
    if start: start()
    for _ in range(a.steps):
        t = time.perf_counter()
        tok = step(tok)
        times.append(time.perf_counter() - t)
    if stop: stop()
    print(json.dumps(dict(step_ms=sorted(times)[len(times) // 2] * 1e3, note=note)))

def ncu_csv(text:str) -> list:
    "The rows of ncu's --csv output, its header first (the profiler's and the program's own lines left out)."
    return list(csv.reader(io.StringIO('\n'.join(l for l in text.splitlines() if l.startswith('"')))))

def ncu_rows(text:str) -> list:
    "(kernel name, grid, ns) of each kernel in ncu's --csv output."
    rows = ncu_csv(text)
    if not rows: return []
    hdr = rows[0]
    ki, gi, vi = hdr.index('Kernel Name'), hdr.index('Grid Size'), hdr.index('Metric Value')
    return [(r[ki], r[gi], float(r[vi].replace(',', ''))) for r in rows[1:] if len(r) > vi]

def describe(name:str, grid:str, labels:dict) -> tuple:
    "(kind, weight bytes the call reads) of one kernel launch: the package's kernels by their constants, MLX's by their function."
    for kname, lab in labels.items():
        if kname not in name: continue
        c, flags = lab['consts'], lab['flags']
        if 'BITS' in c and 'IN' in c:
            rows = int(re.findall(r'\d+', grid)[1]) if grid else 1   # grid y: activation rows (an expert each)
            pair = 'pair' in flags
            kind = f"gemv {'affine' if c['AFFINE'] else 'tq'}{c['BITS']} {c['OUT']}x{c['IN']}" + (f" E{c['E']} x{rows}" if c['E'] > 1 else '')
            per_row = c['OUT'] * c['IN'] * c['BITS'] // 8 + c['OUT'] * c['NG'] * 2 * (2 if c['AFFINE'] else 1)
            reads = per_row * (rows if c['E'] > 1 else (2 if pair else 1))
            return ' '.join([kind] + flags), reads
        size = f" N{c['N']}" if 'N' in c else ''
        return '_'.join(kname.split('_')[:2]) + size + (' ' + ' '.join(flags) if flags else ''), 0
    base = re.sub(r'<.*', '', name).split('(')[0].split('::')[-1]
    return base[:48], 0

def run_child(a, v, profile:bool, names:Path|None=None) -> tuple:
    "(child's JSON result, ncu's stdout or '') of one variant."
    cmd = [sys.executable, __file__, '--child', v, '--shape', a.shape, '--steps', str(a.steps)]
    if names: cmd += ['--names', str(names)]
    if profile:
        cmd = ['ncu', '--profile-from-start', 'off', '--clock-control', 'none', '--cache-control', 'none',
               '--metrics', 'gpu__time_duration.sum', '--csv'] + cmd + ['--profile']
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
    result = [l for l in p.stdout.splitlines() if l.startswith('{"step_ms"')]
    if p.returncode or not result:
        raise SystemExit(f"{v}: the child failed ({p.returncode}):\n{p.stderr[-3000:]}\n{p.stdout[-2000:]}")
    return json.loads(result[-1]), p.stdout

def summarise(a, v):
    timed, _ = run_child(a, v, profile=False)
    with tempfile.TemporaryDirectory() as d:
        names = Path(d) / 'names.json'
        profiled, out = run_child(a, v, profile=True, names=names)
        labels = json.loads(names.read_text()) if names.exists() else {}
    rows = ncu_rows(out)
    if not rows:
        print(f"{v}: ncu saw no kernels in the profiled steps (profiler API unavailable?)")
        return
    kinds = defaultdict(lambda: [0, 0.0, 0])
    for name, grid, ns in rows:
        kind, reads = describe(name, grid, labels)
        k = kinds[kind]
        k[0] += 1
        k[1] += ns / 1e3
        k[2] += reads
    total = sum(k[1] for k in kinds.values()) / a.steps
    step = timed['step_ms'] * 1e3
    print(f"\n{a.shape} {v}: {len(rows) / a.steps:.0f} kernels a step; kernels {total:.0f} us, synchronous step {step:.0f} us "
          f"(gaps {step - total:.0f} us, {100 * (step - total) / step:.0f}%); {timed['note']}")
    print(f"  {'kernel':56s} {'calls':>5s} {'us/step':>8s} {'share':>6s} {'us/call':>8s} {'MB/step':>8s} {'GB/s':>6s}")
    for kind, (n, us, reads) in sorted(kinds.items(), key=lambda kv: -kv[1][1]):
        per = us / a.steps
        gbs = f"{reads / us / 1e3:6.0f}" if reads else ''
        mb = f"{reads / a.steps / 1e6:8.1f}" if reads else ''
        print(f"  {kind:56s} {n / a.steps:5.0f} {per:8.1f} {100 * per / total:5.1f}% {us / n:8.2f} {mb:>8s} {gbs:>6s}", flush=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--shape', default='llama-8b', help='a random-weight shape of benchmarks/bench_decode.py')
    ap.add_argument('--variants', nargs='+', default=['affine4-blocks', 'mixed-blocks', 'tq4-mlp-tqblocks'])
    ap.add_argument('--steps', type=int, default=4, help='decode steps timed and profiled')
    ap.add_argument('--timeout', type=int, default=400, help='seconds a child may take')
    ap.add_argument('--child', help=argparse.SUPPRESS)
    ap.add_argument('--names', help=argparse.SUPPRESS)
    ap.add_argument('--profile', action='store_true', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child: return child(a)
    for v in a.variants: summarise(a, v)

if __name__ == '__main__': main()
