"""MLX's affine codes turned into weights on this machine's default device, per width, side by side in one run: `mx.dequantize`
alone, `mx.dequantize` then a matmul (the prompt path of `runtime='fused'` on the CPU), and MLX's `quantized_matmul`.
Milliseconds a call (median of --repeats) for one matrix and --rows activation rows.

Usage: python benchmarks/probe_dequant_widths.py [--shape 1536x576] [--rows 128] [--bits 2 3 4 5 6 8] [--groups 32 64] [--repeats 7]
"""
import argparse, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from probe_tq_lookup import median_ms   # ms of one evaluated call, median of --repeats

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--shape', default='1536x576', help='out x in')
    ap.add_argument('--rows', type=int, default=128)
    ap.add_argument('--bits', type=int, nargs='+', default=[2, 3, 4, 5, 6, 8])
    ap.add_argument('--groups', type=int, nargs='+', default=[32, 64])
    ap.add_argument('--repeats', type=int, default=7)
    a = ap.parse_args()
    import jang_research  # noqa: F401  (preloads the BLAS before MLX)
    from jang_research.backend import mx
    out, n = (int(v) for v in a.shape.split('x'))
    w = mx.random.normal((out, n), key=mx.random.key(0))
    x = mx.random.normal((a.rows, n), key=mx.random.key(1))
    print(f"on {mx.default_device()}, {a.shape}, {a.rows} rows; median of {a.repeats} calls, ms")
    print(f"{'bits':>4} {'group':>5} {'dequantize':>11} {'deq + mm':>9} {'quantized_matmul':>17}")
    for bits in a.bits:
        for g in a.groups:
            wq, s, b = mx.quantize(w, group_size=g, bits=bits)
            mx.eval(wq, s, b)
            deq = lambda: mx.dequantize(wq, s, b, group_size=g, bits=bits)
            times = [median_ms(f, a.repeats) for f in (deq, lambda: x @ deq().T,
                                                        lambda: mx.quantized_matmul(x, wq, s, b, group_size=g, bits=bits))]
            print(f"{bits:>4} {g:>5} {times[0]:>11.2f} {times[1]:>9.2f} {times[2]:>17.2f}")

if __name__ == '__main__': main()
