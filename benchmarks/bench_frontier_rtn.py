"""The RTN-era frontier (options: RTN only), kept to reproduce the logs it wrote (frontier_*.log, sensitivity_gemma.*): sweep, additivity check and frontier, in one run per model.

1. Sweep: every tensor × options (RTN 2/3/4/5/6/8-bit × --group-sizes, default 64): bytes and proxy error for
   all, measured ΔKL (sensitivity windows from the calibration text) for the reference option 3-bit g64
   of every tensor — timed. A random subset of other (tensor, option) pairs is measured too, to check
   the prediction (gain × proxy) against measurement.
2. Additivity: random mixed plans, predicted (sum of per-tensor ΔKL) vs measured KL: Pearson/Spearman.
3. Frontier, measured on held-out text (Evaluator, fake-quant fp32): uniform RTN (2–8 bits at the swept
   group sizes, 2–4 bits at the others of 32/64/128),
   mlx-lm's mixed recipes (mlx-lm's own predicate), the eleven JANG tier profiles, and the allocator at
   the exact size of every baseline between 2.5 and 4.5 bpw and at 2.5/3.0/3.5/4.0 bpw.

Usage: python benchmarks/bench_frontier.py [--model smollm2-135m-instruct] [--windows 16] [--window-len 128]
           [--plans 20] [--check 40] [--json out.json]
"""
import argparse, json, time
import numpy as np

def main():
    "Parse arguments; sweep, then the checks and the frontier as asked."
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--windows', type=int, default=16)
    ap.add_argument('--window-len', type=int, default=128)
    ap.add_argument('--plans', type=int, default=20, help='random plans for the additivity check')
    ap.add_argument('--check', type=int, default=40, help='extra (tensor, option) pairs measured to check the prediction')
    ap.add_argument('--group-sizes', type=int, nargs='+', default=[64], help='allocator options and uniform baselines')
    ap.add_argument('--no-frontier', action='store_true', help='stop after the sweep, the prediction check and the additivity check')
    ap.add_argument('--skip-checks', action='store_true', help='skip the prediction and additivity checks (run them once per model)')
    ap.add_argument('--targets', type=float, nargs='+', help='allocator only at these bpw (default: every baseline size and 2.5/3.0/3.5/4.0)')
    ap.add_argument('--baselines', nargs='+', help="run only these baselines by name (e.g. 'RTN 2-bit g64' JANG_2S)")
    ap.add_argument('--json')
    a = ap.parse_args()
    from jang_research.backend import device_name
    from jang_research.models import load_model, model_path, model_fingerprint
    from jang_research.inventory import inventory, QuantSpec
    from jang_research.methods import float_weights
    from jang_research.calibration import model_hessians
    from jang_research.sweep import sensitivity_sweep, option_specs
    src = model_path(a.model)
    model, tok = load_model(src)
    fp = model_fingerprint(src)
    inv = inventory(model)
    fw = float_weights(model, inv)
    print(f"{a.model} on {device_name()}: {len(inv)} tensors", flush=True)
    hs = model_hessians(model, tok, fp, 16, 256)
    # 1. sweep
    specs = option_specs(bits=(2, 3, 4, 5, 6, 8), group_sizes=tuple(a.group_sizes))
    t = time.time()
    tab = sensitivity_sweep(model, tok, fp, hs, specs=specs, ref=QuantSpec(3, 64))
    t_sweep = time.time() - t
    print(f"sweep: {len(tab.paths)} tensors × {len(specs)} options; measured ΔKL now {tab.meta['measured_now']} "
          f"(0 = cached) in {t_sweep:.0f} s wall (includes proxies for all options)", flush=True)
    rng = np.random.default_rng(0)
    rows, add, add2 = [], {}, {}
    if not a.skip_checks: rows, add, add2 = checks(a, model, tok, tab, inv, fw, hs, rng)
    if a.no_frontier:
        if a.json: json.dump(dict(model=a.model, sweep_s=t_sweep, check=rows, additivity=_jsonable(add),
                                  additivity_low_bits=_jsonable(add2)), open(a.json, 'w'), indent=1)
        return
    frontier(a, model, tok, fp, tab, inv, fw, hs, t_sweep, rows, add, add2)

def _jsonable(d): return {k: (v.tolist() if hasattr(v, 'tolist') else v) for k, v in d.items()}

def checks(a, model, tok, tab, inv, fw, hs, rng):
    "Prediction check (measured vs predicted ΔKL on random other options) and the additivity check."
    from jang_research.methods import quantize_tensor
    from jang_research.data import token_windows, calibration_text
    from jang_research.sweep import BlockRunner, fit_spec, row_spec
    from jang_research.allocation import additivity_check
    runner = BlockRunner(model, token_windows(tok, calibration_text(), *tab.meta['windows']))
    pairs = [(p, l) for p in tab.paths for l in tab.labels(p) if l != tab.ref_label]
    check = [pairs[i] for i in rng.choice(len(pairs), min(a.check, len(pairs)), replace=False)]
    t = time.time()
    rows = []
    for p, l in check:
        r = tab.rows[(p, l)]
        ti = next(x for x in inv if x.path == p)
        w_hat = quantize_tensor(fw[p], fit_spec(ti, row_spec(r))).dequantize()
        rows.append((p, r['bits'], runner.kl_with({p: w_hat}), tab.predicted(p, l)))
    t_check = time.time() - t
    per = t_check / len(check)
    print(f"prediction check on {len(check)} random (tensor, option) pairs ({per:.2f} s per measured ΔKL; "
          f"measuring all {len(pairs) + len(tab.paths)} would take ≈ {per * (len(pairs) + len(tab.paths)) / 60:.0f} min):")
    ok = [(m_, p_) for _, _, m_, p_ in rows if m_ > 1e-4 and p_ > 0]
    lm, lp = np.log([x[0] for x in ok]), np.log([x[1] for x in ok])
    print(f"  log-log Pearson r {np.corrcoef(lm, lp)[0, 1]:.3f}; median |factor| {np.median(np.exp(np.abs(lm - lp))):.2f}x over {len(ok)} pairs with ΔKL > 1e-4")
    for b in (2, 3, 4, 5, 6, 8):
        sel = [m_ / p_ for _, bb, m_, p_ in rows if bb == b and m_ > 1e-4 and p_ > 0]
        if sel: print(f"  {b}-bit: median measured/predicted {np.median(sel):.2f} ({len(sel)} pairs)")
    # 2. additivity
    t = time.time()
    add = additivity_check(model, tok, tab, inv, hs, n_plans=a.plans)
    add2 = additivity_check(model, tok, tab, inv, hs, n_plans=max(a.plans // 2, 5), bits_choices=(2, 3, 4), seed=1)
    print(f"additivity, {a.plans} random plans (3–8 bits): Pearson {add['pearson']:.3f}, Spearman {add['spearman']:.3f}, "
          f"median measured/predicted {add['ratio_median']:.2f}")
    print(f"additivity, {len(add2['measured'])} random plans (2–4 bits): Pearson {add2['pearson']:.3f}, Spearman {add2['spearman']:.3f}, "
          f"median measured/predicted {add2['ratio_median']:.2f}  ({time.time() - t:.0f} s)", flush=True)
    return rows, add, add2

def frontier(a, model, tok, fp, tab, inv, fw, hs, t_sweep, rows, add, add2):
    "Measured KL/PPL on held-out text of the baselines and of the allocator at each baseline's size."
    from jang_research.inventory import uniform_plan, effective_bpw
    from jang_research.methods import quantize_weights, dequantized
    from jang_research.evaluation import Evaluator
    from jang_research.allocation import JANG_PROFILES, profile_plan, mlx_recipe_plan, allocate
    from mlx_lm.convert import QUANT_RECIPES
    ev = Evaluator(model, tok, fp, n_windows=a.windows, window_len=a.window_len)
    results = []
    def run(name, family, plan):
        if a.baselines and family != 'allocator' and name not in a.baselines: return
        t = time.time()
        s = ev.evaluate(dequantized(quantize_weights(fw, plan, hessians=hs))).summary(n_boot=300)
        results.append(dict(name=name, family=family, bpw=effective_bpw(inv, plan), kl=s['kl_mean'].to_json(),
                            ppl=s['ppl'].to_json(), top1=s['top1'].value))
        r = results[-1]
        print(f"  {family:<10} {name:<22} {r['bpw']:6.3f} bpw  KL {s['kl_mean']:.4f}  PPL {s['ppl']:.2f}  ({time.time() - t:.0f} s)", flush=True)
    print(f"frontier on held-out text ({a.windows}x{a.window_len} tokens), fake-quant fp32:")
    for g in (32, 64, 128):
        for b in ((2, 3, 4, 5, 6, 8) if g in a.group_sizes else (2, 3, 4)): run(f'RTN {b}-bit g{g}', 'uniform', uniform_plan(inv, b, g))
    for r in QUANT_RECIPES: run(r, 'mlx-lm', mlx_recipe_plan(model, inv, r))
    for n in JANG_PROFILES: run(n, 'JANG', profile_plan(inv, n))
    # every baseline size in 2.5–4.5 bpw, the four reported sizes, and every JANG profile's size (they sit higher)
    targets = sorted({round(r['bpw'], 4) for r in results if 2.5 <= r['bpw'] <= 4.5 or r['family'] == 'JANG'} | {2.5, 3.0, 3.5, 4.0})
    if a.targets: targets = sorted(set(a.targets))
    for x in targets:
        plan, info = allocate(tab, inv, target_bpw=x)
        run(f'allocator @{x:.3f}', 'allocator', plan)
        results[-1].update(target=x, predicted=info['predicted'], gap=info['gap'])
    alloc = {round(r['target'], 4): r for r in results if r['family'] == 'allocator'}
    def alloc_at(bpw):   # the allocator point at a baseline's size (targets given on the command line are rounded)
        near = [t for t in alloc if abs(t - bpw) <= 5e-4]
        return alloc[min(near, key=lambda t: abs(t - bpw))] if near else None
    print("allocator vs every baseline of equal size (2.5–4.5 bpw, and every JANG profile): KL ratio baseline/allocator")
    wins = 0
    n = 0
    for r in results:
        if r['family'] == 'allocator' or not (2.5 <= r['bpw'] <= 4.5 or r['family'] == 'JANG'): continue
        al = alloc_at(r['bpw'])
        if al is None: continue
        n += 1
        wins += al['kl']['value'] < r['kl']['value']
        print(f"  {r['name']:<22} {r['bpw']:6.3f} bpw  KL {r['kl']['value']:.4f} vs allocator {al['kl']['value']:.4f}  "
              f"ratio {r['kl']['value'] / al['kl']['value']:.2f}x")
    print(f"allocator lower KL in {wins}/{n} equal-size comparisons")
    for x in (2.5, 3.0, 3.5, 4.0):
        if alloc_at(x) is None: continue
        base = [r for r in results if r['family'] == 'uniform' and r['bpw'] >= x - 1e-9]
        best_uniform = min(base, key=lambda r: r['kl']['value']) if base else None
        smaller = [r for r in results if r['family'] != 'allocator' and r['bpw'] <= x + 1e-9]
        best_small = min(smaller, key=lambda r: r['kl']['value']) if smaller else None
        ax = alloc_at(x)
        print(f"  @{x} bpw: allocator KL {ax['kl']['value']:.4f}" +
              (f"; best baseline at <= this size: {best_small['name']} KL {best_small['kl']['value']:.4f} "
               f"({best_small['kl']['value'] / ax['kl']['value']:.2f}x)" if best_small else ''))
    if a.json:
        json.dump(dict(model=a.model, sweep_s=t_sweep, check=rows, additivity=_jsonable(add),
                       additivity_low_bits=_jsonable(add2), frontier=results), open(a.json, 'w'), indent=1)

if __name__ == '__main__':
    main()
