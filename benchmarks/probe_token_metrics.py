"""Where evaluation's per-token metrics should be computed: numpy on the host or MLX on the device, side by side in one run.

token_metrics (KL, top-1, logit MSE, both NLLs per token) reads B x L x V float32 logits of two models. The host path copies
them to numpy; the device path (device_token_metrics) leaves them where MLX computed them. For each vocabulary (SmolLM2's
49,152 in batches of 4 x 128 tokens, Gemma's 262,144 in 1 x 128, as eval_batch sizes them) and a large and a near-lossless
KL, this prints both paths' time (median of --repeats after a warm-up) and their KL's relative error against float64.

Usage: python benchmarks/probe_token_metrics.py [--repeats 5]
"""
import argparse, time
import numpy as np

def kl64(r, q):
    "Per-token KL(r‖q) of float32 logits, computed in float64."
    def log_softmax(x):
        s = x - x.max(-1, keepdims=True)
        return s - np.log(np.exp(s).sum(-1, keepdims=True))
    lr, lq = log_softmax(np.array(r, dtype=np.float64)), log_softmax(np.array(q, dtype=np.float64))
    return (np.exp(lr) * (lr - lq)).sum(-1)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--repeats', type=int, default=5, help='timed calls per path (after one warm-up call)')
    a = ap.parse_args()
    import jang_research  # noqa: F401  (OpenBLAS on Linux CPUs)
    from jang_research.backend import mx
    from jang_research.evaluation import token_metrics
    print(f'MLX on {mx.default_device()}; token_metrics(where=auto) takes the {"host" if mx.default_device() == mx.cpu else "device"} path here')
    print(f"{'vocab':>7} {'batch':>9} {'KL':>9}  {'host ms':>8} {'device ms':>9} {'host/device':>11}  {'host rel err':>12} {'device rel err':>14}")
    for vocab, batch in ((49152, 4), (262144, 1)):
        r = 3 * mx.random.normal((batch, 128, vocab), key=mx.random.key(1))
        tokens = mx.random.randint(0, vocab, (batch, 128), key=mx.random.key(3))
        for noise in (0.5, 0.02):
            q = r + noise * mx.random.normal(r.shape, key=mx.random.key(2))
            mx.eval(r, q, tokens)
            ref, times, errs = kl64(r, q), {}, {}
            for where in ('host', 'device'):
                out = token_metrics(r, q, tokens, where)
                errs[where] = abs(out['kl'].mean() / ref.mean() - 1)
                ts = []
                for _ in range(a.repeats):
                    t0 = time.perf_counter()
                    token_metrics(r, q, tokens, where)
                    ts.append(time.perf_counter() - t0)
                times[where] = float(np.median(ts))
            print(f"{vocab:>7} {f'{batch} x 128':>9} {ref.mean():9.2e}  {times['host'] * 1e3:8.1f} {times['device'] * 1e3:9.1f} "
                  f"{times['host'] / times['device']:10.2f}x  {errs['host']:12.1e} {errs['device']:14.1e}")

if __name__ == '__main__': main()
