"""GPTQ of a stack of experts: one expert at a time (gptq_quantize each) vs all together (gptq_quantize_experts), side by side.

Random weights and Hessians of correlated inputs; every expert 4-bit g64 (`--method tq_gptq`: TurboQuant 2-bit per-row codes with
GPTQ feedback, tq_gptq_quantize each vs tq_gptq_quantize_experts). Prints wall seconds of each way, the speed-up, the share of
packed words that agree and the mean ratio of tr(ΔW H ΔWᵀ) together / alone (1: the same quantization), and the seconds each way
spent factoring the Hessians (together: one factor over the stack where the factor runs on the device, see expert_factors).

Usage: python benchmarks/bench_expert_gptq.py [--shapes 16x256x512 8x768x2048 8x2048x768] [--repeats 2] [--factor auto|host|device]
                                             [--method gptq|tq_gptq]
"""
import argparse, time
import numpy as np
import jang_research  # noqa: F401  (before mlx: the BLAS preload)
from jang_research.backend import mx
from jang_research.inventory import QuantSpec
from jang_research.turboquant import tq_gptq_quantize, tq_gptq_quantize_experts
from jang_research.gptq import gptq_quantize, gptq_quantize_experts, expert_hessian, clear_factors, hessian_error, loop_on_cuda, set_gptq_factor, factor_on_device

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--shapes', nargs='+', default=['16x256x512', '8x768x2048', '8x2048x768'], help='experts x out x in')
    ap.add_argument('--repeats', type=int, default=2)
    ap.add_argument('--factor', default='auto', choices=['auto', 'host', 'device'], help="where the Hessians are factored (set_gptq_factor)")
    ap.add_argument('--method', default='gptq', choices=['gptq', 'tq_gptq'], help='affine GPTQ 4-bit g64 or TurboQuant 2-bit per row with feedback')
    a = ap.parse_args()
    set_gptq_factor(a.factor)
    rng = np.random.default_rng(0)
    if a.method == 'gptq':
        spec, words = QuantSpec(4, 64), 'weight'
        one, stack = (lambda w, H, e: gptq_quantize(w[e], spec, expert_hessian(H, e))), (lambda w, H: gptq_quantize_experts(w, spec, H))
    else:
        spec, words = QuantSpec(2, 0, 'tq_gptq'), 'codes'
        one, stack = (lambda w, H, e: tq_gptq_quantize(w[e], spec, H[e], 1)), (lambda w, H: tq_gptq_quantize_experts(w, spec, H, 1))
    print(f"MLX default device {mx.default_device()}; column loop {'CUDA kernel' if loop_on_cuda() else 'MLX'}; factor on the {'device' if factor_on_device() else 'host'}; "
          f"{'GPTQ 4-bit g64' if a.method == 'gptq' else 'TurboQuant 2-bit per row with GPTQ feedback'}")
    print(f"{'experts x out x in':>20} {'alone s':>8} {'together s':>10} {'speed-up':>8} {'words same':>10} {'h_err ratio':>11} {'factor alone s':>14} {'together s':>10}")
    for shape in a.shapes:
        E, out, n = map(int, shape.split('x'))
        Xs = [rng.standard_normal((2048, n)).astype(np.float32) * rng.uniform(0.2, 3, n).astype(np.float32) for _ in range(E)]
        H = mx.array(np.stack([X.T @ X / len(X) for X in Xs]))
        w = mx.random.normal((E, out, n)) * 0.02
        mx.eval(H, w)
        for _ in range(a.repeats):
            clear_factors()
            t0 = time.perf_counter()
            alone = [one(w, H, e) for e in range(E)]
            mx.eval([getattr(t, words) for t in alone])
            t1 = time.perf_counter()
            clear_factors()
            together = stack(w, H)
            mx.eval(getattr(together, words))
            t2 = time.perf_counter()
            same = np.mean([(getattr(together, words)[e] == getattr(alone[e], words)).mean().item() for e in range(E)])
            ratio = np.mean([hessian_error(w[e], together.dequantize()[e], H[e]) / hessian_error(w[e], alone[e].dequantize(), H[e]) for e in range(E)])
            f_alone = f"{sum(t.meta['seconds']['factor'] for t in alone):14.2f}" if 'seconds' in alone[0].meta else f"{'-':>14}"   # tq_gptq_quantize does not time its factor
            print(f"{shape:>20} {t1 - t0:8.2f} {t2 - t1:10.2f} {(t1 - t0) / (t2 - t1):7.2f}x {same:10.4f} {ratio:11.6f} "
                  f"{f_alone} {together.meta['seconds']['factor']:10.2f}", flush=True)

if __name__ == '__main__': main()
