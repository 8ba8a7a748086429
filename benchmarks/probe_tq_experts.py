"""One stacked TurboQuant expert layer of the Qwen3-30B-A3B shape (128 experts of 768 x 2048, 2-bit, one scale a row) called
with few (token, expert) pairs, as a decode step or a short prompt calls it without the CUDA kernel (CPU, Metal): the whole
stack dequantized then gathered (the path before session 38) against only the pairs' experts dequantized (the layer now),
side by side in one run: milliseconds a call and peak memory, and the largest difference of the outputs.

Usage: python benchmarks/probe_tq_experts.py [--experts 128] [--out 768] [--in 2048] [--bits 2] [--pairs 8 32] [--repeats 5]
"""
import argparse, time

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--experts', type=int, default=128)
    ap.add_argument('--out', type=int, default=768)
    ap.add_argument('--in', dest='inp', type=int, default=2048)
    ap.add_argument('--bits', type=int, default=2)
    ap.add_argument('--pairs', type=int, nargs='+', default=[8, 32])
    ap.add_argument('--repeats', type=int, default=5)
    a = ap.parse_args()
    import jang_research  # noqa: F401  (preloads the BLAS before MLX)
    from jang_research.backend import mx
    from jang_research.inventory import QuantSpec
    from jang_research.turboquant import tq_quantize, TurboQuantSwitchLinear
    w = mx.random.normal((a.experts, a.out, a.inp), key=mx.random.key(0)) * 0.02
    layer = TurboQuantSwitchLinear.from_tqtensor(tq_quantize(w, QuantSpec(a.bits, 0, 'tq', 'float16'), seed=1))
    del w
    mx.eval(layer.parameters())
    whole = lambda x, idx: mx.gather_mm(layer.rotate_input(x), layer.rotated_weight(x.dtype).swapaxes(-1, -2), rhs_indices=idx)
    print(f"{a.experts} experts of {a.out} x {a.inp}, {a.bits}-bit TurboQuant, on {mx.default_device()}")
    for pairs in a.pairs:
        tokens = max(1, pairs // 8)
        x = mx.random.normal((tokens, 1, 1, a.inp), key=mx.random.key(1)).astype(mx.float32)
        idx = mx.random.randint(0, a.experts, (tokens, pairs // tokens), key=mx.random.key(2))
        res = {}
        for name, fn in (('whole stack', whole), ('pairs only', layer)):
            mx.eval(fn(x, idx))   # warm-up
            mx.reset_peak_memory()
            base = mx.get_active_memory()
            t = time.perf_counter()
            for _ in range(a.repeats):
                y = fn(x, idx)
                mx.eval(y)
            res[name] = ((time.perf_counter() - t) / a.repeats * 1e3, (mx.get_peak_memory() - base) / 1e6, y)
        (t0, m0, y0), (t1, m1, y1) = res['whole stack'], res['pairs only']
        print(f"{pairs:4d} pairs: whole stack {t0:8.1f} ms {m0:8.1f} MB | pairs only {t1:7.1f} ms {m1:7.1f} MB |"
              f" {t0 / t1:5.1f}x faster, {m0 / max(m1, 1e-9):5.1f}x less memory; max |diff| {mx.abs(y0 - y1).max().item():.2e}")

if __name__ == '__main__': main()
