"""The MSE grid search (mse.mse_affine_params) by row chunks: 4096 rows a chunk vs the default (~512k weights a chunk on the CPU), side by side.

Each row is searched on its own, so every chunking gives the same codes, scales and biases (checked); only the time differs.
Best of --repeats per shape, 4-bit g64 with a random importance per input channel.

Usage: python benchmarks/bench_mse_chunks.py [--shapes 1536x576 576x1536 4096x4096 49152x576 6144x2048] [--repeats 2]
"""
import argparse, time
import jang_research  # noqa: F401  (before mlx: the BLAS preload)
from jang_research.backend import mx
from jang_research.mse import mse_affine_params

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--shapes', nargs='+', default=['1536x576', '576x1536', '4096x4096', '49152x576', '6144x2048'], help='out x in')
    ap.add_argument('--repeats', type=int, default=2)
    a = ap.parse_args()
    print(f"MLX default device {mx.default_device()}; 4-bit g64")
    print(f"{'out x in':>12} {'4096 rows s':>12} {'default s':>10} {'speed-up':>8}  same results")
    for shape in a.shapes:
        out, n = map(int, shape.split('x'))
        W = mx.random.normal((out, n), key=mx.random.key(out)) * 0.02
        imp = mx.abs(mx.random.normal((n,), key=mx.random.key(n))) + 0.1
        mx.eval(W, imp)
        best, results = {}, {}
        for _ in range(a.repeats):
            for name, chunk in (('4096', 4096), ('default', None)):
                t0 = time.perf_counter()
                results[name] = mse_affine_params(W, 4, 64, imp, chunk=chunk)
                mx.eval(*results[name])
                best[name] = min(best.get(name, float('inf')), time.perf_counter() - t0)
        same = all(mx.array_equal(x, y).item() for x, y in zip(results['4096'], results['default']))
        print(f"{shape:>12} {best['4096']:12.2f} {best['default']:10.2f} {best['4096'] / best['default']:7.2f}x  {same}", flush=True)

if __name__ == '__main__': main()
