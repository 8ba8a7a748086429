"""XᵀX of calibration inputs: the plain product against `calibration.gram` (blocks on and below the diagonal, mirrored).

A Hessian's sums are the calibration's main cost at real size (an 8B model's down_proj input is 14,336 wide). For each width
and tile this prints the time of one batch's XᵀX (n rows), the ratio to the plain product, the fraction of its flops, and the
largest relative difference from the plain product (and, for widths up to 4096, the relative error of both against float64 on
the host). Run it where the Hessians are computed (a CUDA GPU: MLX_ENABLE_TF32=1 as bench_pipeline --tf32 sets it).

Usage: python benchmarks/bench_gram.py [--widths 4096 14336] [--rows 4096] [--tiles 1024 2048 3584] [--json out.json]
"""
import argparse, json, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from bench_tf32 import timed, rel   # seconds per evaluated call; relative error against a float64 reference

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--widths', type=int, nargs='+', default=[4096, 14336])
    ap.add_argument('--rows', type=int, default=4096, help='rows per batch (HESSIAN_BATCH windows x their length)')
    ap.add_argument('--tiles', type=int, nargs='+', default=[1024, 2048, 3584])
    ap.add_argument('--json', default=None)
    a = ap.parse_args()
    import os
    import jang_research  # noqa: F401  (loads the backend first)
    from jang_research.backend import mx
    from jang_research.calibration import gram, GRAM_TILE
    print(f"{mx.default_device()}; MLX_ENABLE_TF32={os.environ.get('MLX_ENABLE_TF32')}; {a.rows} rows a batch; default tile {GRAM_TILE}")
    print(f"{'d':>6} {'tile':>6} {'blocks':>6} {'ms':>8} {'vs plain':>8} {'flops':>6} {'max rel diff':>12} {'err vs f64':>10}")
    rows = []
    for d in a.widths:
        X = mx.random.normal((a.rows, d), key=mx.random.key(d)).astype(mx.bfloat16).astype(mx.float32)
        mx.eval(X)
        ref64 = None
        if d <= 4096:
            x = np.array(X, np.float64)
            ref64 = x.T @ x
        plain = X.T @ X
        mx.eval(plain)
        t0 = timed(lambda: X.T @ X)
        err0 = rel(plain, ref64) if ref64 is not None else float('nan')
        print(f"{d:>6} {'plain':>6} {1:>6} {t0 * 1e3:>8.2f} {1:>8.3f} {1:>6.3f} {0:>12.2e} {err0:>10.2e}")
        rows.append(dict(d=d, tile=None, blocks=1, ms=t0 * 1e3, ratio=1.0, flops=1.0, diff=0.0, err=err0))
        for tile in a.tiles:
            k = d // tile
            if k < 2: continue
            G = gram(X, tile)
            mx.eval(G)
            t = timed(lambda: gram(X, tile))
            diff = float(mx.max(mx.abs(G - plain)) / mx.max(mx.abs(plain)))
            err = rel(G, ref64) if ref64 is not None else float('nan')
            print(f"{d:>6} {tile:>6} {k:>6} {t * 1e3:>8.2f} {t / t0:>8.3f} {(k + 1) / (2 * k):>6.3f} {diff:>12.2e} {err:>10.2e}")
            rows.append(dict(d=d, tile=tile, blocks=k, ms=t * 1e3, ratio=t / t0, flops=(k + 1) / (2 * k), diff=diff, err=err))
    if a.json: json.dump(dict(device=str(mx.default_device()), rows_per_batch=a.rows, results=rows), open(a.json, 'w'), indent=1)

if __name__ == '__main__': main()
