"""Sequential quantization against one pass of float Hessians, on the all-method allocator's plans.

For every size, the allocator's plan (the shipped sensitivity table) is quantized twice — with the float model's
Hessians for every tensor (`jr.quantize(..., sequential=False)`, two workers), and block after block, each block's
Hessian methods fitted to the inputs the already-quantized blocks before it produce (`sequential=True`, one
process) — and both are scored on the same held-out tokens (fake-quant fp32). The table prints both side by side
with their ratio; rows are cached in <work>/rows.jsonl, so a re-run measures only what is missing. With --reuse
FILE (the frontier's rows.jsonl) a sequential row is taken from the frontier's allocator row of that size when
that row was quantized sequentially on the same held-out windows (the same plan, the same quantization).

Usage: python benchmarks/bench_sequential.py [--model smollm2-135m-instruct] [--sizes 2.25 2.5 3.0 3.5 4.0]
           [--work bench/sequential] [--reuse bench/frontier/smollm2-135m-instruct/rows.jsonl] [--json ...]
"""
import argparse, json, time
from pathlib import Path
from bench_frontier import RowCache

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--sizes', type=float, nargs='+', default=[2.25, 2.5, 3.0, 3.5, 4.0])
    ap.add_argument('--work', default='bench/sequential')
    ap.add_argument('--windows', type=int, default=16)
    ap.add_argument('--window-len', type=int, default=128)
    ap.add_argument('--reuse', help="the frontier's rows.jsonl: its sequentially quantized allocator rows serve as the sequential rows")
    ap.add_argument('--json', help='write every row here')
    a = ap.parse_args()
    import jang_research as jr
    m = jr.load(a.model)
    work = Path(a.work)/m.name
    work.mkdir(parents=True, exist_ok=True)
    cache = RowCache(work/'rows.jsonl')
    table = jr.sensitivity(m, progress=False)
    frontier = {r['label']: r for r in RowCache(a.reuse).rows()} if a.reuse else {}
    for s in a.sizes:
        f = frontier.get(f'allocator @{s:g}')
        if f and f.get('calibration', {}).get('sequential') and f.get('windows') == [a.windows, a.window_len] and not cache.has(f'allocator @{s:g} sequential'):
            cache.add({**f, 'label': f'allocator @{s:g} sequential', 'mode': 'sequential', 'reused_from': a.reuse})
        plan = jr.allocate(table, target_bpw=s)
        for mode, kw in (('one pass', dict(sequential=False, workers=2)), ('sequential', dict(sequential=True))):
            label = f'allocator @{s:g} {mode}'
            if cache.has(label): continue
            t = time.time()
            q = jr.quantize(m, plan, progress=False, **kw)
            t_quant = time.time() - t
            row = jr.evaluate(m, q, windows=a.windows, window_len=a.window_len, label=label)
            cache.add({**row, **q.settings, 'windows': [a.windows, a.window_len], 'target': s, 'mode': mode, 'quantize_s': round(t_quant, 1), 'predicted': plan.meta.get('predicted')})
            print(f"  {label:<30} {row['bpw']:.3f} bpw  KL {row['kl_mean']['value']:.4f}  top-1 {row['top1']['value']:.3f}  ({t_quant:.0f} s)", flush=True)
    rows = {r['label']: r for r in cache.rows()}
    print(f"\n{m.name}: held-out KL (top-1) of the allocator's plan, float Hessians vs sequential")
    print(f"{'bpw':>5}  {'one pass':>16}  {'sequential':>16}  {'seq / one':>9}  {'quantize s (one / seq)':>22}")
    for s in a.sizes:
        one, seq = rows.get(f'allocator @{s:g} one pass'), rows.get(f'allocator @{s:g} sequential')
        if not (one and seq): continue
        k1, k2 = one['kl_mean']['value'], seq['kl_mean']['value']
        print(f"{s:5g}  {k1:8.3f} ({one['top1']['value']:.3f})  {k2:8.3f} ({seq['top1']['value']:.3f})  {k2 / k1:9.3f}"
              f"  {one['quantize_s']:>10.0f} / {seq['quantize_s']:<10.0f}")
    if a.json: Path(a.json).write_text(json.dumps(dict(model=m.name, sizes=a.sizes, rows=list(rows.values())), indent=1))

if __name__ == '__main__': main()
