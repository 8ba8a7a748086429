"""CPU backend benchmark, printed side by side in one run (these machines are noisy: compare ratios, not absolutes).

1. fp32 forward of the default model, with and without OpenBLAS preloaded (two fresh processes,
   because the BLAS is bound when mlx.core is first imported).
2. fake-quant (dequantized fp32 weights, OpenBLAS matmuls) vs MLX's real quantized layers
   (`quantized_matmul` on CPU) at 4-bit g64: one projection, prefill and decode.

Usage: python benchmarks/bench_backend.py [--tokens 256] [--qmm-tokens 64]
"""
import argparse, json, os, subprocess, sys, time

def _forward_worker(tokens:int) -> dict:
    from jang_research.backend import mx, blas_info, matmul_gflops
    from jang_research.models import load_model
    model, _ = load_model('smollm2-135m-instruct')
    x = mx.random.randint(0, 49000, (1, tokens))
    mx.eval(model(x))
    t = time.perf_counter()
    n = 3
    for _ in range(n): mx.eval(model(x))
    dt = (time.perf_counter() - t) / n
    return dict(blas=blas_info()['blas'], forward_tok_s=tokens/dt, matmul_gflops=matmul_gflops(repeats=5))

def _timeit(fn, n=3):
    fn()
    t = time.perf_counter()
    for _ in range(n): fn()
    return (time.perf_counter() - t) / n

def _quant_compare(tokens:int) -> list:
    from jang_research.backend import mx
    from jang_research.models import load_model
    from jang_research.inventory import inventory, uniform_plan
    from jang_research.methods import float_weights, quantize_weights, dequantized, to_quantized_model
    from jang_research.models import swapped_weights
    rows = []
    # one projection (SmolLM2 MLP up_proj shape), 256 tokens
    w = mx.random.normal((1536, 576))
    x = mx.random.normal((256, 576))
    mx.eval(w, x)
    wq, s, b = mx.quantize(w, group_size=64, bits=4)
    wd = mx.dequantize(wq, s, b, group_size=64, bits=4)
    mx.eval(wq, s, b, wd)
    flops = 2*256*576*1536
    t_fake = _timeit(lambda: mx.eval(x @ wd.T), 10)
    t_q = _timeit(lambda: mx.eval(mx.quantized_matmul(x, wq, s, b, True, 64, 4)), 3)
    rows.append(('up_proj 256x576 @ 576x1536 (GFLOP/s)', flops/t_fake/1e9, flops/t_q/1e9))
    x1 = x[:1]
    t_fake = _timeit(lambda: mx.eval(x1 @ wd.T), 50)
    t_q = _timeit(lambda: mx.eval(mx.quantized_matmul(x1, wq, s, b, True, 64, 4)), 50)
    rows.append(('up_proj decode GEMV (GFLOP/s)', 2*576*1536/t_fake/1e9, 2*576*1536/t_q/1e9))
    # whole model
    model, _ = load_model('smollm2-135m-instruct')
    inv = inventory(model)
    plan = uniform_plan(inv, 4, 64)
    qw = quantize_weights(float_weights(model, inv), plan)
    ids = mx.random.randint(0, 49000, (1, tokens))
    with swapped_weights(model, dequantized(qw)):
        t_fake = _timeit(lambda: mx.eval(model(ids)), 2)
        t_fake_dec = _timeit(lambda: mx.eval(model(ids[:, :1])), 5)
    real, _ = load_model('smollm2-135m-instruct')
    to_quantized_model(real, qw, plan)
    t_q = _timeit(lambda: mx.eval(real(ids)), 1)
    t_q_dec = _timeit(lambda: mx.eval(real(ids[:, :1])), 3)
    rows.append((f'SmolLM2 4-bit g64 prefill {tokens} tok (tok/s)', tokens/t_fake, tokens/t_q))
    rows.append(('SmolLM2 4-bit g64 one-token forward (tok/s)', 1/t_fake_dec, 1/t_q_dec))
    return rows

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tokens', type=int, default=256)
    ap.add_argument('--qmm-tokens', type=int, default=64)
    ap.add_argument('--worker', type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(_forward_worker(a.worker)))
        return
    res = {}
    for label, env in [('reference BLAS', {'JANG_NO_OPENBLAS': '1'}), ('OpenBLAS', {})]:
        e = {**os.environ, **env}
        e.pop('JANG_NO_OPENBLAS', None) if not env else None
        out = subprocess.run([sys.executable, __file__, '--worker', str(a.tokens)], env=e, capture_output=True, text=True, check=True).stdout
        res[label] = json.loads(out.strip().splitlines()[-1])
    r, o = res['reference BLAS'], res['OpenBLAS']
    print(f"1. fp32 on CPU, {a.tokens}-token prefill of SmolLM2-135M ({os.cpu_count()} cores)")
    print(f"   {'':32s} {'reference BLAS':>15s} {'OpenBLAS':>12s} {'ratio':>7s}")
    print(f"   {'blas reported':32s} {r['blas'][:15]:>15s} {o['blas']:>12s}")
    print(f"   {'forward tok/s':32s} {r['forward_tok_s']:15.1f} {o['forward_tok_s']:12.1f} {o['forward_tok_s']/r['forward_tok_s']:6.1f}x")
    print(f"   {'matmul 512x576x1536 GFLOP/s':32s} {r['matmul_gflops']:15.1f} {o['matmul_gflops']:12.1f} {o['matmul_gflops']/r['matmul_gflops']:6.1f}x")
    print(f"\n2. fake-quant (dequantize -> fp32 OpenBLAS matmul) vs MLX quantized_matmul, 4-bit g64, CPU")
    print(f"   {'':46s} {'fake-quant':>11s} {'quantized':>10s} {'fake/quant':>10s}")
    for name, f, q in _quant_compare(a.qmm_tokens):
        print(f"   {name:46s} {f:11.2f} {q:10.2f} {f/q:9.1f}x")

if __name__ == '__main__': main()
