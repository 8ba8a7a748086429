"""Our fused affine decode GEMV against MLX's quantized_matmul, one activation row, side by side in one run (CUDA only).

For each shape and width: microseconds per call over --calls calls evaluated together (launch and host cost
included, as in decode), for MLX's `mx.quantized_matmul`, our kernel called directly (`quant_gemv_cuda`), and our
layer (`FusedQuantizedLinear`), with the implied bandwidth of reading the packed weights once.

Usage: python benchmarks/bench_affine_gemv.py [--shapes 4096x4096 14336x4096 4096x14336 1024x4096] [--bits 4] [--group 64]
"""
import argparse, time

def per_call(f, x, calls:int, reps:int=5) -> float:
    from jang_research.backend import mx
    mx.eval(f(x))
    best = float('inf')
    for _ in range(reps):
        t = time.perf_counter()
        mx.eval([f(x) for _ in range(calls)])
        best = min(best, (time.perf_counter() - t) / calls)
    return best * 1e6

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--shapes', nargs='+', default=['4096x4096', '14336x4096', '4096x14336', '1024x4096'])
    ap.add_argument('--bits', type=int, nargs='+', default=[4])
    ap.add_argument('--group', type=int, default=64)
    ap.add_argument('--calls', type=int, default=200)
    ap.add_argument('--rows-per-warp', type=int, nargs='+', default=[1, 2, 4], help='kernel launch variants, also timed')
    a = ap.parse_args()
    from jang_research.backend import mx, nn
    from jang_research.turboquant import cuda_available, quant_gemv_cuda, dense_experts, FusedQuantizedLinear
    if not cuda_available(): raise SystemExit('needs MLX on a CUDA GPU')
    print(f"{'shape (out x in)':>17s} {'bits':>4s} {'MLX us':>8s} {'kernel us':>10s} {'layer us':>9s} {'MLX GB/s':>9s} {'kernel GB/s':>12s} {'kernel/MLX':>11s}")
    for shape in a.shapes:
        out, n = map(int, shape.split('x'))
        for bits in a.bits:
            lin = nn.QuantizedLinear(n, out, bias=False, group_size=a.group, bits=bits)
            lin.set_dtype(mx.bfloat16)
            x = mx.random.normal((1, n)).astype(mx.bfloat16)
            nbytes = lin.weight.nbytes + lin.scales.nbytes + lin.biases.nbytes
            w3, s3, b3, z = lin.weight[None], lin.scales[None], lin.biases[None], dense_experts(1)
            mx.eval(w3, s3, b3)
            t_mlx = per_call(lin, x, a.calls)
            t_k = per_call(lambda x: quant_gemv_cuda(x, z, w3, s3, b3, bits, a.group, True), x, a.calls)
            lin.__class__ = FusedQuantizedLinear
            t_l = per_call(lin, x, a.calls)
            print(f"{shape:>17s} {bits:4d} {t_mlx:8.1f} {t_k:10.1f} {t_l:9.1f} {nbytes / t_mlx / 1e3:9.0f} {nbytes / t_k / 1e3:12.0f} {t_mlx / t_k:10.2f}x", flush=True)
            for wpb in (4, 8):
                for rpw in a.rows_per_warp:
                    t = per_call(lambda x: quant_gemv_cuda(x, z, w3, s3, b3, bits, a.group, True, wpb, rpw), x, a.calls)
                    print(f"{'':17s} {'':4s}   kernel with {wpb} warps/block, {rpw} rows/warp: {t:6.1f} us ({t_mlx / t:.2f}x MLX)", flush=True)

if __name__ == '__main__': main()
