"""The all-method allocator with affine options whose scales and biases are stored on grids (QuantSpec.scale_bits).

The shipped SmolLM2 table is extended by the rows of --options (each tensor's proxy error from the table's own
calibration Hessians, predicted with its measured gain and the method's factor, as every other row) and the allocator
picks among all of them at each --sizes target; each plan is quantized sequentially on the float model's own samples
(jr.quantize's default) and scored on 16 x 128 held-out tokens, beside the plan of the table as shipped.

SmolLM2's "float" weights are a Q4_1 GGUF dequantized: affine 4-bit g32 stores every linear tensor exactly with fp16
scales (5 bits a weight) and nearly so with 6- or 8-bit grid codes (~4.49 / ~4.61 bits): that is what these options buy
here. A model converted from bf16 has no such grid, and its gain from them would be smaller.

--sample N measures the ΔKL of N random added rows (the table's own windows) and prints how well gain x proxy predicted
them; --save FILE writes the extended table (the rows measured included), e.g. over the shipped one.

Usage: python benchmarks/probe_grid_allocation.py [--sizes 4.5 4.0 3.5] [--scale-bits 6 8] [--bits 3 4] [--methods mse gptq]
                                                  [--sample 0] [--save table.json] [--embed-min-bits 0]
"""
import argparse, time

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--sizes', type=float, nargs='*', default=[4.5, 4.0, 3.5])
    ap.add_argument('--scale-bits', type=int, nargs='+', default=[6, 8])
    ap.add_argument('--bits', type=int, nargs='+', default=[3, 4])
    ap.add_argument('--methods', nargs='+', default=['mse', 'gptq'])
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--sample', type=int, default=0, help='added rows whose ΔKL is measured (validation)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--save', help='write the extended table here')
    ap.add_argument('--embed-min-bits', type=int, default=0, help="the grid table's allocation keeps the embedding at >= this many bits")
    a = ap.parse_args()
    import jang_research as jr
    from collections import Counter
    from jang_research.calibration import model_hessians
    from jang_research.methods import float_weights, quantize_sequential
    from jang_research.sweep import option_specs, sweep_row, storable_option
    from jang_research.tuning import calibration_windows
    m = jr.load(a.model)
    table = jr.sensitivity(m, progress=False)
    hs = model_hessians(m.model, m.tokenizer, m.fingerprint, 16, 256)   # the Hessians jr.sensitivity's proxies come from
    fw = float_weights(m.model)
    specs = [s for s in option_specs(tuple(a.bits), (32,), tuple(a.methods), scale_bits=tuple(a.scale_bits)) if s.scale_bits]
    t0, added = time.time(), 0
    for t in m.inventory:
        if t.path not in table.paths: continue
        grids = {}
        for s in specs:   # mse before gptq: GPTQ starts from the MSE fit the grids dict keeps
            if not storable_option(t, s): continue
            row, _ = sweep_row(t, s, fw[t.path], hs, grids=grids)
            table.rows[(t.path, row['label'])] = row
            added += 1
    print(f"{m.name}: {added} rows of {', '.join(s.label() for s in specs)} added to the shipped table in {time.time() - t0:.0f} s", flush=True)
    if a.sample: validate(m, table, specs, fw, hs, a)
    if a.save:
        table.meta['grid_options'] = (f"{', '.join(s.label() for s in specs)}: proxies from the table's Hessians, added by "
                                      f"benchmarks/probe_grid_allocation.py ({added} rows, {a.sample} with measured ΔKL)")
        print(f"  saved {table.save(a.save)}", flush=True)
    windows = calibration_windows(m.model, m.tokenizer, 16, 256, on='samples', fingerprint=m.fingerprint)
    hs_samples = model_hessians(m.model, m.tokenizer, m.fingerprint, windows=windows)
    shipped = jr.sensitivity(m, progress=False)
    for size in a.sizes:
        for name, tab in (('shipped table', shipped), ('with grid-stored scales', table)):
            plan = jr.allocate(tab, target_bpw=size, min_bits={'embed': a.embed_min_bits} if tab is table else None)
            t0 = time.time()
            weights = quantize_sequential(m.model, windows, plan, hs_samples, tq_seed=0)
            r = jr.evaluate(m, jr.Quantized(m, plan, weights, {}), windows=16, window_len=128)
            kl = r['kl_mean']
            mix = Counter(s.label() for s in plan.specs.values()).most_common(4)
            print(f"  @{size:g} ({r['bpw']:.3f} bpw) {name:<24} held-out KL {kl['value']:.4f} [{kl['lo']:.4f}, {kl['hi']:.4f}]  "
                  f"top-1 {r['top1']['value']:.3f}  ({time.time() - t0:.0f} s)  most used: {', '.join(f'{l} x{n}' for l, n in mix)}", flush=True)

def validate(m, table, specs, fw, hs, a):
    "Measure the ΔKL of `a.sample` random added rows on the table's own windows; print the predictor's log-log r and median factor on them."
    import numpy as np
    from jang_research.sweep import BlockRunner, dequantized_option, fit_spec, measured_gains
    from jang_research.data import token_windows, calibration_text
    labels = {s.label(): s for s in specs}
    gains = measured_gains(table)
    added = sorted(k for k in table.rows if k[1] in labels and k[0] in gains)
    pick = [added[i] for i in np.random.default_rng(a.seed).choice(len(added), min(a.sample, len(added)), replace=False)]
    runner = BlockRunner(m.model, token_windows(m.tokenizer, calibration_text(), *table.meta['windows']))
    inv = {t.path: t for t in m.inventory}
    pairs, t0, factors = [], time.time(), table.method_factors()   # the factors before these rows join them
    for p, l in pick:
        w_hat = dequantized_option(fw[p], fit_spec(inv[p], labels[l]), p, hs)
        r = table.rows[(p, l)]
        r['dkl'] = runner.kl_with({p: w_hat})
        if r['dkl'] > 1e-4: pairs.append((r['dkl'], gains[p] * r['proxy'] * factors.get(r['method'], 1.0)))
    d, pred = np.log(np.array(pairs)).T
    print(f"  predictor on {len(pairs)} of {len(pick)} measured added rows above the noise floor: log-log r {np.corrcoef(d, pred)[0, 1]:.3f}, "
          f"median measured / predicted {np.exp(np.median(d - pred)):.3f} ({time.time() - t0:.0f} s)", flush=True)

if __name__ == '__main__': main()
