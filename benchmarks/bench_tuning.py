"""Scales tuned end to end (tuning.tune_scales) on the all-method allocator's plans: held-out KL before and after, side by side.

For each size the allocator's plan (the shipped sensitivity table) is quantized as `jr.quantize` does by default
(sequential), scored on the held-out windows (fake-quant fp32), then every tensor's scales (and affine biases) are tuned
for --steps steps of 4 calibration windows of 128 tokens on KL to the float model, codes kept, and scored again. Rows go
to --json.

--data generated tunes on the float model's own samples instead (what jr.quantize(tune_steps=) now does by default): each
window starts with the first 8 tokens of a calibration window and continues with 120 tokens the float model samples
(temperature 1, seeded), so the tuning sees the model's own distribution rather than the calibration text's domain; as many
windows as the longest run takes (the calibration text has at most 512, which longer runs go through again).

Usage: python benchmarks/bench_tuning.py [--model smollm2-135m-instruct] [--sizes 3.5 4.0 4.5] [--steps 48 [96 ...]] [--lr 1e-4]
           [--windows 16] [--window-len 128] [--data calibration|generated] [--calib-on text|samples] [--calib 16 256] [--json out.json]

--calib-on / --calib: the GPTQ-style methods' calibration windows before tuning (jr.quantize's calib_on, calib_windows, calib_len).
"""
import argparse, json, time
from pathlib import Path

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--sizes', type=float, nargs='+', default=[3.5, 4.0, 4.5])
    ap.add_argument('--steps', type=int, nargs='+', default=[48], help='tuning runs of these many steps each, from the same quantized plan')
    ap.add_argument('--lr', type=float, default=1e-4)
    ap.add_argument('--windows', type=int, default=16)
    ap.add_argument('--window-len', type=int, default=128)
    ap.add_argument('--data', default='calibration', choices=['calibration', 'generated'])
    ap.add_argument('--calib-on', default='text', choices=['text', 'samples'], help="jr.quantize's calib_on")
    ap.add_argument('--calib', type=int, nargs=2, default=[16, 256], help='calibration windows and tokens a window')
    ap.add_argument('--json')
    a = ap.parse_args()
    import jang_research as jr
    from jang_research.tuning import tune_scales, tuning_windows
    m = jr.load(a.model)
    table = jr.sensitivity(m, progress=False)
    print(f"sensitivity table: {table.meta.get('shipped', 'swept here')}, methods {sorted({r['method'] for r in table.rows.values()})}", flush=True)
    t = time.time()
    windows = tuning_windows(m.tokenizer, max(a.steps), model=m.model if a.data == 'generated' else None,
                             fingerprint=m.fingerprint)   # as jr.quantize(tune_steps=) takes them (from the disk cache after a first run)
    print(f"{windows.shape[0]} {a.data} windows in {time.time() - t:.0f} s", flush=True)
    rows = []
    print(f"{m.name}: held-out KL ({a.windows} x {a.window_len} tokens) of the allocator's plan, before and after {'/'.join(map(str, a.steps))} tuning steps (lr {a.lr:g}) on {a.data} windows; calibrated on {a.calib[0]} x {a.calib[1]} tokens of {a.calib_on}", flush=True)
    for size in a.sizes:
        plan = jr.allocate(table, target_bpw=size)
        t = time.time()
        q = jr.quantize(m, plan, *a.calib, calib_on=a.calib_on, progress=False)
        t_quant = time.time() - t
        before = jr.evaluate(m, q, windows=a.windows, window_len=a.window_len)
        for steps in a.steps:
            t = time.time()
            weights, report = tune_scales(m.model, q.weights, windows, steps=steps, lr=a.lr, progress=False)
            t_tune = time.time() - t
            after = jr.evaluate(m, jr.Quantized(m, plan, weights, {**q.settings, 'tuning': report}), windows=a.windows, window_len=a.window_len)
            k0, k1 = before['kl_mean'], after['kl_mean']
            rows.append(dict(size=size, steps=steps, bpw=before['bpw'], before=before, after=after, report=report, quantize_s=round(t_quant, 1), tune_s=round(t_tune, 1)))
            print(f"{size:5g}  {before['bpw']:.3f} bpw  {steps:4d} steps  KL {k0['value']:.4f} [{k0['lo']:.4f}, {k0['hi']:.4f}] top-1 {before['top1']['value']:.3f}"
                  f"  ->  KL {k1['value']:.4f} [{k1['lo']:.4f}, {k1['hi']:.4f}] top-1 {after['top1']['value']:.3f}  ({k1['value'] / k0['value']:.3f}x;"
                  f" held-back KL {report.get('held_kl_before', 0):.4f} -> {report.get('held_kl_after', 0):.4f}, kept {report.get('kept')};"
                  f" quantize {t_quant:.0f} s, tune {t_tune:.0f} s)", flush=True)
            if a.json: Path(a.json).write_text(json.dumps(dict(model=m.name, steps=a.steps, lr=a.lr, data=a.data, calib_on=a.calib_on, calib=a.calib, windows=list(windows.shape), rows=rows), indent=1))

if __name__ == '__main__': main()
