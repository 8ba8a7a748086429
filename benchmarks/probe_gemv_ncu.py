"""Why a decode GEMV runs at the speed it does: Nsight Compute's view of single calls of the package's GEMV kernels.

For each layer shape and affine width, a random bf16 layer is quantized (groups of 64) and one activation row multiplied by
the CUDA-core kernel (tq_gemv.cu) at each --rows-per-warp and, with --tensor-core, by the tensor-core kernel (gemv_mma.cu,
its default launch). Every call is profiled with Nsight Compute's SpeedOfLight, Occupancy, LaunchStats, SchedulerStats,
WarpStateStats and MemoryWorkloadAnalysis sections, caches flushed before each (the weights come from HBM, as in a decode
step whose weights are GBs). Printed a call: its duration, the weight bytes it reads and their GB/s, DRAM throughput (% of
peak), registers a thread, theoretical and achieved occupancy (% of the SM's 64 warps), the warps a scheduler issued a
cycle (at most 1), the cycles a warp waits between its instructions, and the L2 hit rate. --raw FILE keeps every metric ncu gave.

Needs MLX's CUDA backend and `ncu` on PATH (the device machine).

Usage: python benchmarks/probe_gemv_ncu.py [--shapes 28672x4096 4096x14336 4096x4096] [--bits 3 4] [--rows-per-warp 1 2]
           [--tensor-core] [--raw out.json]
"""
import argparse, json, subprocess, sys, time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from probe_step_kernels import ncu_csv, profiler_switch

SECTIONS = ['SpeedOfLight', 'Occupancy', 'LaunchStats', 'SchedulerStats', 'WarpStateStats', 'MemoryWorkloadAnalysis']
SHOWN = [('Duration', 'us'), ('DRAM Throughput', 'dram%'), ('Registers Per Thread', 'regs'), ('Theoretical Occupancy', 'occ%'),
         ('Achieved Occupancy', 'ach%'), ('Issued Warp Per Scheduler', 'issued'), ('Warp Cycles Per Issued Instruction', 'cyc/ins'),
         ('L2 Hit Rate', 'L2hit%')]

def calls(a) -> list:
    "(label, bytes read, call) of every configuration, in the order the child runs them."
    from jang_research.backend import mx, nn
    from jang_research.turboquant import quant_gemv_cuda, mma_gemv_cuda, mma_fits, dense_experts
    made = []
    for shape in a.shapes:
        out, n = map(int, shape.split('x'))
        for bits in a.bits:
            lin = nn.QuantizedLinear(n, out, bias=False, group_size=64, bits=bits)
            lin.set_dtype(mx.bfloat16)
            mx.eval(lin.parameters())
            nbytes = lin.weight.nbytes + lin.scales.nbytes + lin.biases.nbytes
            z = dense_experts(1)
            def core(rpw, lin=lin, bits=bits, z=z):
                return lambda x: quant_gemv_cuda(x, z, lin.weight, lin.scales, lin.biases, bits, 64, True, rows_per_warp=rpw)
            for rpw in a.rows_per_warp: made.append((f"{shape} {bits}-bit CUDA-core x{rpw} rows", nbytes, n, core(rpw)))
            if a.tensor_core and mma_fits(mx.bfloat16, bits, 64, n):
                made.append((f"{shape} {bits}-bit tensor-core", nbytes, n,
                             lambda x, lin=lin, bits=bits, z=z: mma_gemv_cuda(x, z, lin.weight, lin.scales, lin.biases, bits, 64)))
    return made

def child(a):
    "Warm every call, then run each twice between cudaProfilerStart/Stop, synchronised; print the labels in order."
    import jang_research  # noqa: F401  (before mlx: the package picks the BLAS)
    import mlx.core as mx
    made = calls(a)
    xs = {n: mx.random.normal((1, n)).astype(mx.bfloat16) for _, _, n, _ in made}
    mx.eval(list(xs.values()))
    for _, _, n, f in made:
        for _ in range(3): mx.eval(f(xs[n]))
    start, stop = profiler_switch()
    start()
    for _, _, n, f in made:
        for _ in range(a.repeat):
            mx.eval(f(xs[n]))
            mx.synchronize()
    stop()
    time.sleep(0.1)
    print(json.dumps(dict(labels=[(label, nbytes) for label, nbytes, _, _ in made])))

def metric_rows(text:str) -> dict:
    "ncu's --csv --page details output as {launch ID: {metric name: (unit, value)}}."
    rows = ncu_csv(text)
    if not rows: return {}
    hdr = rows[0]
    ii, ni, ui, vi = (hdr.index(k) for k in ('ID', 'Metric Name', 'Metric Unit', 'Metric Value'))
    by_id = defaultdict(dict)
    for r in rows[1:]:
        if len(r) > vi: by_id[int(r[ii])][r[ni]] = (r[ui], r[vi])
    return dict(by_id)

def number(unit_value:tuple|None, want:str) -> float:
    "A metric's value as a float in the unit the table shows (durations in us)."
    if unit_value is None: return float('nan')
    unit, value = unit_value
    try: v = float(value.replace(',', ''))
    except ValueError: return float('nan')
    if want == 'us': v *= {'nsecond': 1e-3, 'usecond': 1.0, 'msecond': 1e3, 'second': 1e6}.get(unit, float('nan'))
    return v

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--shapes', nargs='+', default=['28672x4096', '4096x14336', '4096x4096'])
    ap.add_argument('--bits', type=int, nargs='+', default=[3, 4])
    ap.add_argument('--rows-per-warp', type=int, nargs='+', default=[1, 2])
    ap.add_argument('--tensor-core', action='store_true')
    ap.add_argument('--repeat', type=int, default=2, help='profiled calls of each configuration (the table shows the first)')
    ap.add_argument('--raw', help='write every metric of every call here (JSON)')
    ap.add_argument('--timeout', type=int, default=540)
    ap.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child: return child(a)
    args = [str(v) for v in ['--shapes', *a.shapes, '--bits', *a.bits, '--rows-per-warp', *a.rows_per_warp, '--repeat', a.repeat]]
    cmd = ['ncu', '--profile-from-start', 'off', '--clock-control', 'none', '--cache-control', 'all', '--kernel-name', 'regex:jang',
           *[x for s in SECTIONS for x in ('--section', s)], '--csv', '--page', 'details',
           sys.executable, __file__, '--child', *args] + ['--tensor-core'] * a.tensor_core
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
    done = [l for l in p.stdout.splitlines() if l.startswith('{"labels"')]
    if p.returncode or not done: raise SystemExit(f"the profiled child failed ({p.returncode}):\n{p.stderr[-3000:]}\n{p.stdout[-2000:]}")
    labels = json.loads(done[-1])['labels']
    launches = metric_rows(p.stdout)
    ids = sorted(launches)
    if len(ids) != len(labels) * a.repeat:
        names = sorted({k for m in launches.values() for k in m})[:20]
        raise SystemExit(f"ncu reported {len(ids)} launches, the child made {len(labels) * a.repeat} (metrics seen: {names}):\n"
                         f"{p.stderr[-2000:]}\n{p.stdout[:2000]}")
    if a.raw: Path(a.raw).write_text(json.dumps({f"{labels[i // a.repeat][0]} #{i % a.repeat}": launches[k] for i, k in enumerate(ids)}, indent=1))
    print("ncu, caches flushed before each call, GPU clocks as they run; one bf16 activation row, affine codes in groups of 64")
    print(f"{'call':>36s} {'GB/s':>6s} " + ' '.join(f"{short:>7s}" for _, short in SHOWN))
    for j, (label, nbytes) in enumerate(labels):
        first = launches[ids[j * a.repeat]]
        us = number(first.get('Duration'), 'us')
        vals = [number(first.get(name), short if short == 'us' else '') for name, short in SHOWN]
        print(f"{label:>36s} {nbytes / us / 1e3:6.0f} " + ' '.join(f"{v:7.1f}" for v in vals), flush=True)

if __name__ == '__main__': main()
