"""The all-method allocator with affine options whose scales and biases are stored on grids (QuantSpec.scale_bits).

The shipped SmolLM2 table is extended by the rows of --options (each tensor's proxy error from the table's own
calibration Hessians, predicted with its measured gain and the method's factor, as every other row) and the allocator
picks among all of them at each --sizes target; each plan is quantized sequentially on the float model's own samples
(jr.quantize's default) and scored on 16 x 128 held-out tokens, beside the plan of the table as shipped.

SmolLM2's "float" weights are a Q4_1 GGUF dequantized: affine 4-bit g32 stores every linear tensor exactly with fp16
scales (5 bits a weight) and nearly so with 6- or 8-bit grid codes (~4.49 / ~4.61 bits): that is what these options buy
here. A model converted from bf16 has no such grid, and its gain from them would be smaller.

Usage: python benchmarks/probe_grid_allocation.py [--sizes 4.5 4.0 3.5] [--scale-bits 6 8] [--bits 3 4] [--methods mse gptq]
"""
import argparse, time

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--sizes', type=float, nargs='+', default=[4.5, 4.0, 3.5])
    ap.add_argument('--scale-bits', type=int, nargs='+', default=[6, 8])
    ap.add_argument('--bits', type=int, nargs='+', default=[3, 4])
    ap.add_argument('--methods', nargs='+', default=['mse', 'gptq'])
    ap.add_argument('--model', default='smollm2-135m-instruct')
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
    windows = calibration_windows(m.model, m.tokenizer, 16, 256, on='samples', fingerprint=m.fingerprint)
    hs_samples = model_hessians(m.model, m.tokenizer, m.fingerprint, windows=windows)
    shipped = jr.sensitivity(m, progress=False)
    for size in a.sizes:
        for name, tab in (('shipped table', shipped), ('with grid-stored scales', table)):
            plan = jr.allocate(tab, target_bpw=size)
            t0 = time.time()
            weights = quantize_sequential(m.model, windows, plan, hs_samples, tq_seed=0)
            r = jr.evaluate(m, jr.Quantized(m, plan, weights, {}), windows=16, window_len=128)
            kl = r['kl_mean']
            mix = Counter(s.label() for s in plan.specs.values()).most_common(4)
            print(f"  @{size:g} ({r['bpw']:.3f} bpw) {name:<24} held-out KL {kl['value']:.4f} [{kl['lo']:.4f}, {kl['hi']:.4f}]  "
                  f"top-1 {r['top1']['value']:.3f}  ({time.time() - t0:.0f} s)  most used: {', '.join(f'{l} x{n}' for l, n in mix)}", flush=True)

if __name__ == '__main__': main()
