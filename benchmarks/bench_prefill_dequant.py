"""Prompt-sized products through quantized weights, one tensor at a time, side by side in one run (CUDA; on a CPU only the
paths without our kernel run): a bfloat16 matmul of the float weight (the floor), MLX's `quantized_matmul` on affine 4-bit
g64 codes, those codes dequantized by `mx.dequantize` or by our kernel (`turboquant.dequantize_cuda`) then multiplied, and
TurboQuant 4-bit codes with one scale a row through the lookup path (`lookup_codes`, the scale on the outputs: what a layer
did on the GPU before the kernel) or written by the kernel, then multiplied. Milliseconds a call (median of --repeats, each
call evaluated on its own), the kernel's own time and the bytes it moves per second, and whether its weight equals the
reference path's.

Usage: python benchmarks/bench_prefill_dequant.py [--shapes 14336x4096 4096x14336 4096x4096 1024x4096] [--rows 512] [--repeats 25]
"""
import argparse, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from probe_tq_lookup import median_ms   # ms of one evaluated call, median of --repeats

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--shapes', nargs='+', default=['14336x4096', '4096x14336', '4096x4096', '1024x4096'], help='out x in')
    ap.add_argument('--rows', type=int, default=512, help='activation rows (prompt tokens)')
    ap.add_argument('--repeats', type=int, default=25)
    a = ap.parse_args()
    import jang_research  # noqa: F401  (preloads the BLAS before MLX)
    from jang_research.backend import mx, cuda_available
    from jang_research.inventory import QuantSpec
    from jang_research.turboquant import tq_quantize, lookup_codes, dequantize_cuda, tq_dequantize_rotated

    cuda = cuda_available()
    dt = mx.bfloat16 if cuda else mx.float32
    print(f"on {mx.default_device()}, {a.rows} rows of {dt}; median of {a.repeats} calls, ms; ratios are to MLX's quantized_matmul")
    head = (f"{'out x in':>11} {'float':>15} {'mlx qmm':>8} {'mx.deq+mm':>15} {'ours+mm':>15} {'tq lookup+mm':>15} {'tq ours+mm':>15}"
            f"  {'kernel':>7} {'GB/s':>6}  same as the reference path")
    print(head)
    for shape in a.shapes:
        out, n = (int(v) for v in shape.split('x'))
        w = mx.random.normal((out, n), key=mx.random.key(out + n)) * 0.02
        x = mx.random.normal((a.rows, n), key=mx.random.key(1)).astype(dt)
        wf = w.astype(dt)
        wq, s, b = mx.quantize(wf, group_size=64, bits=4)
        t = tq_quantize(w, QuantSpec(4, 0, 'tq', 'bfloat16'), seed=1)
        codebook, row_scale = t.codebook.astype(mx.float32), t.scales[..., 0].astype(dt)
        mx.eval(wf, wq, s, b, t.codes, t.scales, codebook, row_scale, x)
        cols = {'float': lambda: x @ wf.T,
                'qmm': lambda: mx.quantized_matmul(x, wq, s, b, transpose=True, group_size=64, bits=4),
                'deq': lambda: x @ mx.dequantize(wq, s, b, group_size=64, bits=4).T,
                'tq_lookup': lambda: (x @ lookup_codes(t.codes, codebook, 4, n, dt).T) * row_scale}
        if cuda:
            cols['ours'] = lambda: x @ dequantize_cuda(wq, s, b, 4, 64, True, dt).T
            cols['tq_ours'] = lambda: x @ dequantize_cuda(t.codes, t.scales, codebook, 4, 0, False, dt).T
            cols['kernel'] = lambda: dequantize_cuda(wq, s, b, 4, 64, True, dt)
        ms = {k: median_ms(f, a.repeats) for k, f in cols.items()}
        q = ms['qmm']
        fmt = lambda k: f"{ms[k]:.3f} ({q / ms[k]:.2f}x)".rjust(15) if k in ms else 'n/a'.rjust(15)
        if cuda:
            moved = wq.nbytes + s.nbytes + b.nbytes + out * n * 2          # codes, scales, biases read; the weight written
            same = (mx.array_equal(dequantize_cuda(wq, s, b, 4, 64, True, dt), mx.dequantize(wq, s, b, group_size=64, bits=4).astype(dt)).item(),
                    mx.array_equal(dequantize_cuda(t.codes, t.scales, codebook, 4, 0, False, dt),
                                   tq_dequantize_rotated(t.codes, t.scales, codebook, 4, 0).astype(dt)).item())
            extra = f"  {ms['kernel']:>7.3f} {moved / ms['kernel'] / 1e6:>6.0f}  affine {same[0]}, tq {same[1]}"
        else:
            extra = ''
        print(f"{shape:>11} {fmt('float')} {q:>8.3f} {fmt('deq')} {fmt('ours')} {fmt('tq_lookup')} {fmt('tq_ours')}{extra}")

if __name__ == '__main__': main()
