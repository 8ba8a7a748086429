"""Decode GEMV kernel times from `ncu --csv --metrics gpu__time_duration.sum` (cold L2: ncu flushes caches between
kernel replays), with bytes moved, GB/s and % of HBM bandwidth, side by side per bit width.

Usage: python benchmarks/ncu_summary.py NCU.csv OUTxIN [--peak-gbs 3350]
"""
import csv, re, statistics, sys
from collections import defaultdict
f, shape = sys.argv[1], sys.argv[2]
peak = float(sys.argv[sys.argv.index('--peak-gbs') + 1]) if '--peak-gbs' in sys.argv else 3350.0
out, n = map(int, shape.split('x'))
rows = list(csv.reader(l for l in open(f) if l.startswith('"')))
hdr = rows[0]
ki, vi = hdr.index('Kernel Name'), hdr.index('Metric Value')
times = defaultdict(list)
for r in rows[1:]:
    name, us = r[ki], float(r[vi].replace(',', '')) / 1000
    if 'gemv_single' in name or 'gemv' in name and 'jang' not in name: times[('fp16', 16)].append(us)
    elif m := re.search(r'qmv_kernel<.*integer_subbyte<(\d)', name): times[('affine g64', int(m.group(1)))].append(us)
    elif m := re.search(r'jang_tq_gemv_(\d)_(\d+)_(\d+)_(\d+)_(\d+)_', name):
        b, ng, gs = int(m.group(1)), int(m.group(4)), int(m.group(5))
        times[('tq row' if ng == 1 else f'tq g{gs}'), b].append(us)
io = (n + out) * 2
def nbytes(v, b):
    if v == 'fp16': return out * n * 2 + io
    if v.startswith('affine'): return out * n * b // 8 + out * (n // 64) * 4 + io
    g = n if v.startswith('tq row') else int(v.split()[1][1:])
    return out * n * b // 8 + out * (n // g) * 2 + io
print(f"{shape}: kernel time (median of the launches ncu saw), cold L2; HBM peak {peak:.0f} GB/s")
print(f"{'variant':12s} {'bits':>4s} {'us':>8s} {'MiB':>8s} {'GB/s':>7s} {'%HBM':>6s}  speed vs affine g64")
res = {}
for (v, b), ts in sorted(times.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    us = statistics.median(ts)
    nb = nbytes(v, b)
    res[(v, b)] = us
    rel = f"{res[('affine g64', b)] / us:5.2f}x" if ('affine g64', b) in res and v != 'fp16' else ''
    print(f"{v:12s} {b:4d} {us:8.1f} {nb / 2**20:8.2f} {nb / us / 1e3:7.0f} {100 * nb / us / 1e3 / peak:5.1f}%  {rel}")
