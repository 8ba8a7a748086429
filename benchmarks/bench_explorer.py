"""Latency of the interactive explorer on this machine: slider move → metrics, → charts, → text.

Opens the explorer on a model (default SmolLM2-135M-Instruct) at uniform 3-bit RTN, then makes --moves random
slider moves (a random group — a block's attention or MLP, or the embedding — to a random other bit width)
and prints median and p95 of the time from the move to (a) metrics shown, (b) the quantized greedy
continuation shown (16 tokens, the explorer's default), (c) both charts re-rendered (they come last). Kernel-side times: in a notebook the debounce delay
(default 0.3 s after the last move of a burst) comes on top, and the browser's rendering after that.
Side by side, the same metric computed by a full forward pass instead of replaying from the changed block.

Usage: python benchmarks/bench_explorer.py [--model smollm2-135m-instruct] [--moves 24] [--seed 0] [--json out.json]
"""
import argparse, json, time
import numpy as np

def main():
    "Open the explorer, move sliders at random, print latency percentiles."
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--moves', type=int, default=24)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--json')
    a = ap.parse_args()
    from jang_research.backend import device_name, blas_info
    from jang_research.explorer import Explorer, BIT_CHOICES
    t = time.perf_counter()
    ex = Explorer.for_model(a.model, start=3, debounce=0)
    print(f'{a.model} on {device_name()} ({blas_info()}): explorer open in {time.perf_counter() - t:.1f} s '
          f'(load, reference, uniform 3-bit, frontier points, first text); windows {tuple(ex.live.windows.shape)}', flush=True)
    rng = np.random.default_rng(a.seed)
    groups = list(ex.sliders)
    rows = []
    for i in range(a.moves):
        g = groups[rng.integers(len(groups))]
        b = int(rng.choice([x for x in BIT_CHOICES if x != ex.sliders[g].value]))
        t0 = time.perf_counter()
        ex.set_bits(g, b)
        wall = time.perf_counter() - t0
        tm = ex.timings[-1]
        t1 = time.perf_counter()
        full = ex.live.evaluate(ex.plan)
        t_full = time.perf_counter() - t1
        assert abs(full['kl'] - ex.metrics['kl']) < 1e-3 * max(1, full['kl']), (full['kl'], ex.metrics['kl'])
        rows.append(dict(group=g, bits=b, metrics_s=tm['metrics_s'], charts_s=tm['charts_s'], text_s=tm['text_s'], wall_s=wall,
                         full_forward_metrics_s=t_full, kl=ex.metrics['kl'], bpw=ex.metrics['bpw']))
        r = rows[-1]
        print(f"  move {i + 1:2d}: {g:>9} → {b:>2}  metrics {r['metrics_s']:.2f} s  text {r['text_s']:.2f} s  charts {r['charts_s']:.2f} s"
              f"  | full-forward metrics {t_full:.2f} s   KL {r['kl']:.3f} at {r['bpw']:.2f} bpw", flush=True)
    def stat(k):
        v = np.array([r[k] for r in rows])
        return np.median(v), np.quantile(v, .95)
    print(f"over {len(rows)} moves (median / p95):")
    for k, target in (('metrics_s', 1.0), ('text_s', 3.0), ('charts_s', None)):
        md, p95 = stat(k)
        print(f"  slider → {k[:-2]:8s} {md:.2f} s / {p95:.2f} s" + (f"   (target < {target:.0f} s)" if target else ''))
    md, p95 = stat('full_forward_metrics_s')
    print(f"  same metrics by a full forward pass: {md:.2f} s / {p95:.2f} s  "
          f"(replay from the changed block: {np.median([r['full_forward_metrics_s'] / r['metrics_s'] for r in rows]):.2f}x faster, median)")
    if a.json: json.dump(dict(model=a.model, moves=rows), open(a.json, 'w'), indent=1)

if __name__ == '__main__':
    main()
