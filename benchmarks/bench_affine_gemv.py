"""Our fused affine decode GEMV against MLX's quantized_matmul, one activation row, side by side in one run (CUDA only).

For each shape and width, microseconds per call two ways: `eager` — --calls calls built and evaluated together (host
cost of building each call included, as in mlx-lm's decode loop); `graph` — the same calls inside one mx.compile'd
function on distinct inputs (replayed without Python: close to the kernel's own time). Rows: MLX's `mx.quantized_matmul`,
our kernel called directly (`quant_gemv_cuda`), the tensor-core kernel (`mma_gemv_cuda`, where `mma_fits`) with its launch
settings, our layer (`FusedQuantizedLinear`, eager), and with --baseline a
kernel built from another source file (e.g. the previous version: `git show REV:jang_research/tq_gemv.cu > old.cu`).
The implied bandwidth counts the packed weights once; `err` is the kernel's relative error against MLX's dequantized
weights in float64.

Usage: python benchmarks/bench_affine_gemv.py [--shapes 4096x4096 14336x4096 4096x14336 1024x4096] [--bits 4] [--group 64]
           [--baseline old.cu] [--rows-per-warp 1 2 4] [--no-tensor-core]
"""
import argparse, time
import numpy as np

def per_call(f, xs, calls:int, graph:bool, reps:int=5) -> float:
    "Best microseconds per call of f over `calls` calls on the inputs xs (eager, or inside one compiled function)."
    from jang_research.backend import mx
    run = mx.compile(lambda *a: [f(x) for x in a]) if graph else (lambda *a: [f(x) for x in a])
    mx.eval(run(*xs))
    best = float('inf')
    for _ in range(reps):
        t = time.perf_counter()
        mx.eval(run(*xs))
        best = min(best, (time.perf_counter() - t) / calls)
    return best * 1e6

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--shapes', nargs='+', default=['4096x4096', '14336x4096', '4096x14336', '1024x4096'])
    ap.add_argument('--bits', type=int, nargs='+', default=[4])
    ap.add_argument('--group', type=int, default=64)
    ap.add_argument('--calls', type=int, default=100)
    ap.add_argument('--rows-per-warp', type=int, nargs='+', default=[1, 2, 4], help='kernel launch variants, also timed')
    ap.add_argument('--baseline', help='another kernel source file, timed side by side')
    ap.add_argument('--no-tensor-core', action='store_true', help='leave out the tensor-core kernel (turboquant.GEMV_MMA, off by default)')
    a = ap.parse_args()
    from jang_research.backend import mx, nn
    from jang_research.turboquant import cuda_available, quant_gemv_cuda, mma_gemv_cuda, mma_fits, dense_experts, FusedQuantizedLinear, gemv_kernel
    if not cuda_available(): raise SystemExit('needs MLX on a CUDA GPU')
    base = gemv_kernel(a.baseline) if a.baseline else None
    print(f"{'shape (out x in)':>17s} {'bits':>4s} {'what':>28s} {'eager us':>9s} {'graph us':>9s} {'graph GB/s':>11s} {'vs MLX':>7s} {'err':>8s}")
    for shape in a.shapes:
        out, n = map(int, shape.split('x'))
        for bits in a.bits:
            lin = nn.QuantizedLinear(n, out, bias=False, group_size=a.group, bits=bits)
            lin.set_dtype(mx.bfloat16)
            xs = [mx.random.normal((1, n)).astype(mx.bfloat16) for _ in range(a.calls)]
            mx.eval(xs)
            nbytes = lin.weight.nbytes + lin.scales.nbytes + lin.biases.nbytes
            z = dense_experts(1)
            W = np.array(mx.dequantize(lin.weight, lin.scales, lin.biases, group_size=a.group, bits=bits).astype(mx.float32), np.float64)
            ref = np.array(xs[0].astype(mx.float32), np.float64) @ W.T
            def err(y): return float(np.linalg.norm(np.array(y.astype(mx.float32), np.float64) - ref) / np.linalg.norm(ref))
            t_mlx = None
            def row(what, f, eager=True):
                nonlocal t_mlx
                te = per_call(f, xs, a.calls, False) if eager else float('nan')
                tg = per_call(f, xs, a.calls, True)
                t_mlx = t_mlx or tg
                print(f"{shape:>17s} {bits:4d} {what:>28s} {te:9.1f} {tg:9.1f} {nbytes / tg / 1e3:11.0f} {t_mlx / tg:6.2f}x {err(f(xs[0])):8.1e}", flush=True)
            def ours(kernel=None, **launch):
                "A call of our kernel (or the baseline) on this layer's codes, with launch settings if given."
                return lambda x: quant_gemv_cuda(x, z, lin.weight, lin.scales, lin.biases, bits, a.group, True, **launch, kernel=kernel)
            row('MLX quantized_matmul', lin)
            row('kernel', ours())
            if base is not None: row('baseline kernel', ours(base))
            for wpb in (4, 8):
                for rpw in a.rows_per_warp:
                    launch = dict(warps_per_block=wpb, rows_per_warp=rpw)
                    row(f'kernel {wpb} warps x {rpw} rows', ours(**launch), eager=False)
                    if base is not None: row(f'baseline {wpb} warps x {rpw} rows', ours(base, **launch), eager=False)
            if mma_fits(mx.bfloat16, bits, a.group, n) and not a.no_tensor_core:   # the tensor-core kernel (turboquant.GEMV_MMA), default launch and others
                mma = lambda **launch: (lambda x: mma_gemv_cuda(x, z, lin.weight, lin.scales, lin.biases, bits, a.group, **launch))
                row('tensor-core kernel', mma())
                for warps in (4, 8):
                    for tiles in (1, 2):
                        if warps <= n // a.group: row(f'tensor-core {warps} warps x {tiles} tiles', mma(warps=warps, tiles=tiles), eager=False)
            lin.__class__ = FusedQuantizedLinear
            row('layer (FusedQuantizedLinear)', lin)

if __name__ == '__main__': main()
