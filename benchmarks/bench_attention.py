"""One decode token's attention over a long cache, on a CUDA GPU: our kernel with the keys read by one block a query head,
split among several blocks (the last to finish merges; `turboquant.attention_splits` picks how many), and MLX's
`scaled_dot_product_attention` over the cache's first pos + 1 slots (what mlx-lm's path spends on attention itself,
without its RoPE and cache ops), side by side.

Heads of the Llama-3.1-8B shape (32 query / 8 KV heads of 128, bf16) by default. A call's time is the best of --reps runs
of --calls independent calls built and evaluated together, per call: the GPU's time, not the host's. The bytes a call
must read (the cache's pos keys and values) give its share of the GPU's nominal bandwidth (or --bandwidth).

Usage: python benchmarks/bench_attention.py [--positions 128 1024 4096 16384] [--splits 1 4 16] [--heads 32 8 128]
"""
import argparse, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

def per_call_us(make, calls:int, reps:int) -> float:
    "Best over `reps` of the time to build and evaluate `calls` independent calls of make(i), per call."
    from jang_research.backend import mx
    mx.eval([make(i) for i in range(calls)])
    best = float('inf')
    for _ in range(reps):
        t = time.perf_counter()
        mx.eval([make(i) for i in range(calls)])
        best = min(best, (time.perf_counter() - t) / calls)
    return best * 1e6

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--positions', type=int, nargs='+', default=[128, 1024, 4096, 16384])
    ap.add_argument('--splits', type=int, nargs='+', default=[1, 4, 16])
    ap.add_argument('--heads', type=int, nargs=3, default=[32, 8, 128], metavar=('QUERY', 'KV', 'DIM'))
    ap.add_argument('--calls', type=int, default=50)
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--bandwidth', type=float, help="GB/s the shares are of (default: the GPU's nominal peak, bench_decode.PEAK_BANDWIDTH)")
    a = ap.parse_args()
    from jang_research.backend import mx, nn
    from jang_research.turboquant import attn_decode_cuda, attention_splits, rope_frequencies, cuda_available
    from bench_decode import PEAK_BANDWIDTH, gpu_name
    if not cuda_available(): raise SystemExit('bench_attention.py times the CUDA attention kernel: it needs MLX on a CUDA GPU')
    gpu = gpu_name()
    bandwidth = a.bandwidth or next((v / 1e9 for k, v in PEAK_BANDWIDTH.items() if k in gpu), None)
    if bandwidth is None: raise SystemExit(f'no nominal bandwidth known for {gpu!r}: pass --bandwidth GB/s')
    n_heads, n_kv, D = a.heads
    dtype, slots = mx.bfloat16, max(a.positions) + 256
    keys, values = (mx.random.normal((1, n_kv, slots, D)).astype(dtype) for _ in range(2))
    qkvs = [mx.random.normal((1, 1, (n_heads + 2 * n_kv) * D)).astype(dtype) for _ in range(a.calls)]   # distinct inputs: no call is merged
    mx.eval(keys, values, qkvs)
    freqs = rope_frequencies(nn.RoPE(D, base=500000.0), D)
    offsets = (0, n_heads * D, (n_heads + n_kv) * D)
    print(f"{gpu} ({bandwidth:.0f} GB/s nominal): one decode token's attention, {n_heads} query / {n_kv} KV heads of {D}, bf16; us a call (best of {a.reps} x {a.calls} calls)")
    print(f"{'pos':>7s} {'MB read':>8s} " + ' '.join(f"{f'splits {s}':>10s}" for s in a.splits) + f" {'default':>12s} {'MLX sdpa':>9s}  best % of bw")
    for pos in a.positions:
        mb = 2 * n_kv * pos * D * 2 / 1e6
        row = {}
        for s in a.splits + [None]:
            row[s] = per_call_us(lambda i: attn_decode_cuda(qkvs[i], qkvs[i], qkvs[i], keys, values, pos, freqs, n_heads, n_kv, D ** -0.5, offsets,
                                                            splits=s)[0], a.calls, a.reps)
        qs = [x[..., :n_heads * D].reshape(1, n_heads, 1, D) for x in qkvs]
        ks, vs = keys[..., :pos + 1, :], values[..., :pos + 1, :]
        sdpa = per_call_us(lambda i: mx.fast.scaled_dot_product_attention(qs[i], ks, vs, scale=D ** -0.5), a.calls, a.reps)
        best = min(row.values())
        print(f"{pos:7d} {mb:8.2f} " + ' '.join(f"{row[s]:10.1f}" for s in a.splits)
              + f" {row[None]:7.1f} ({attention_splits(pos):2d}) {sdpa:9.1f}  {mb / best * 1e3 / bandwidth * 100:5.1f}%", flush=True)

if __name__ == '__main__': main()
