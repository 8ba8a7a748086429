"""GPTQ's column loop, MLX ops (one compiled graph a block of 128 columns) vs one CUDA kernel a block, side by side.

The CUDA kernel in both layouts: cuda-row (a thread owns a row: the first version) and cuda-warp (a warp owns a row, a
lane every 32nd column, in registers: the default).

For each (rows, columns) shape: a Hessian of correlated activations, its factor computed once (cached), then
`gptq_codes` at each width timed with each loop (one warm-up call each first: traces and kernel compiles), with
the Hessian-weighted error tr(ΔW H ΔWᵀ) of both and the share of codes that differ. The CUDA loop needs MLX on a
CUDA GPU; elsewhere only the MLX loop runs.

Usage: python benchmarks/bench_gptq_loop.py [--shapes 4096x4096 14336x4096 4096x14336] [--bits 2 4 8]
"""
import argparse, time

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--shapes', nargs='+', default=['4096x4096', '14336x4096', '4096x14336'], help='rows x columns (out x in)')
    ap.add_argument('--bits', type=int, nargs='+', default=[2, 4, 8])
    a = ap.parse_args()
    import jang_research  # noqa: F401  (first: the system BLAS is preloaded before mlx.core)
    from jang_research.backend import mx, cuda_available
    from jang_research.gptq import gptq_codes, set_gptq_loop, hessian_error
    from jang_research.affine import qtensor_from_codes
    from jang_research.inventory import QuantSpec
    loops = ['mlx', 'cuda-row', 'cuda-warp'] if cuda_available() else ['mlx']
    print(f"MLX default device {mx.default_device()}; GPTQ g64, damp 0.3, act-order; loops: {', '.join(loops)}", flush=True)
    print(f"{'shape':>12} {'bits':>4} " + ' '.join(f"{loop + ' s':>9}" for loop in loops)
          + ''.join(f" {'mlx/' + k:>14} {'h_err ' + k + '/mlx':>19} {'codes differ':>13}" for k in loops[1:]))
    for shape in a.shapes:
        out, n = map(int, shape.split('x'))
        mx.random.seed(n + out)
        X = mx.random.normal((2 * n, 64)) @ mx.random.normal((64, n)) * 0.3 + mx.random.normal((2 * n, n))
        H = 2 * (X.T @ X) / X.shape[0]
        W = mx.random.normal((out, n)) * 0.02
        mx.eval(H, W)
        del X
        for bits in a.bits:
            seconds, results = {}, {}
            for loop in loops:
                set_gptq_loop(*loop.split('-'))
                mx.eval(gptq_codes(W, H, bits, 64)[0])      # warm: the factor, traces, kernel compiles
                t = time.perf_counter()
                q, s, b, *_ = gptq_codes(W, H, bits, 64)
                mx.eval(q, s, b)
                seconds[loop], results[loop] = time.perf_counter() - t, (q, s, b)
            line = f"{shape:>12} {bits:>4} " + ' '.join(f"{seconds[loop]:9.2f}" for loop in loops)
            errs = {loop: hessian_error(W, qtensor_from_codes(*results[loop], QuantSpec(bits, 64)).dequantize(), H) for loop in loops}
            for k in loops[1:]:
                differ = (results[k][0] != results['mlx'][0]).mean().item()
                line += f" {seconds['mlx'] / seconds[k]:13.1f}x {errs[k] / errs['mlx']:19.5f} {differ:12.3%}"
            print(line, flush=True)
    set_gptq_loop('mlx', 'warp')

if __name__ == '__main__': main()
