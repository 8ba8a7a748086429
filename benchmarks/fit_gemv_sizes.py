"""A decode GEMV's fixed cost a call and its streaming bandwidth, fitted from `bench_affine_gemv.py`'s output.

For each (width, kernel row) of a log, the in-graph time a call is fitted by least squares to t = fixed + bytes / bandwidth
over the log's shapes (bytes: the row's GB/s times its time, as the benchmark counts them: codes, scales and biases). With
two shapes the fit is exact; with more, the worst point's distance from the line is printed too. No GPU needed: it reads
a log. Rows that appear for one shape only are left out.

Usage: python benchmarks/fit_gemv_sizes.py benchmarks/results/affine_gemv_sizes.log [more logs]
"""
import argparse, re
from collections import defaultdict

ROW = re.compile(r'^\s*(\d+)x(\d+)\s+(\d+)\s+(.+?)\s+(nan|[\d.]+)\s+([\d.]+)\s+(\d+)\s+[\d.]+x')

def rows(text:str) -> list:
    "(shape, bits, what, graph us, bytes) of every timing row of a bench_affine_gemv.py log."
    out = []
    for line in text.splitlines():
        m = ROW.match(line)
        if not m: continue
        out_dim, n, bits, what, _, us, gbs = m.groups()
        us, gbs = float(us), float(gbs)
        out.append((f'{out_dim}x{n}', int(bits), what.strip(), us, gbs * us * 1e3))   # GB/s x us = kB; x 1e3 = bytes
    return out

def fit(points:list) -> tuple:
    "(fixed us, us a MB, worst residual us) of the least-squares line through (bytes, us) points."
    xs = [b / 1e6 for b, _ in points]
    ys = [t for _, t in points]
    n = len(xs)
    mx_, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx_) ** 2 for x in xs)
    slope = sum((x - mx_) * (y - my) for x, y in zip(xs, ys)) / sxx
    fixed = my - slope * mx_
    return fixed, slope, max(abs(y - fixed - slope * x) for x, y in zip(xs, ys))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('logs', nargs='+')
    a = ap.parse_args()
    groups = defaultdict(dict)
    for path in a.logs:
        for shape, bits, what, us, nbytes in rows(open(path).read()):
            groups[(bits, what)][shape] = (nbytes, us)   # a shape measured twice: the later row
    print(f"{'bits':>4s} {'kernel':>30s} {'shapes':>6s} {'fixed us':>9s} {'us/MB':>7s} {'stream GB/s':>11s} {'worst us':>8s}")
    for (bits, what), by_shape in sorted(groups.items()):
        if len(by_shape) < 2 or len({b for b, _ in by_shape.values()}) < 2: continue
        fixed, slope, worst = fit(list(by_shape.values()))
        stream = f"{1e3 / slope:11.0f}" if slope > 0 else f"{'-':>11s}"
        print(f"{bits:4d} {what:>30s} {len(by_shape):6d} {fixed:9.1f} {slope:7.3f} {stream} {worst:8.1f}")

if __name__ == '__main__': main()
