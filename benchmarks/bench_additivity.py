"""Is damage additive across methods? Random mixed-method plans: predicted (sum of the table's per-tensor ΔKL) vs measured KL.

Each random plan gives every tensor a random option of the shipped all-method table (rtn/mse/gptq/tq/tq_gptq)
whose bits are in --bits; each tensor is quantized by its own method (Hessians once) and the whole plan's KL is
measured on the table's sensitivity windows (calibration text), the windows its ΔKL were measured on.
Prints Pearson and Spearman correlation, the median measured/predicted ratio, and every plan's pair.

Usage: python benchmarks/bench_additivity.py [--plans 10] [--bits 2 3 4] [--seed 0] [--json out.json]
"""
import argparse, json, time

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--plans', type=int, default=10)
    ap.add_argument('--bits', type=int, nargs='+', default=[2, 3, 4], help='widths drawn per tensor (TurboQuant 1-4, affine 2-8)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--json')
    a = ap.parse_args()
    import jang_research as jr
    from jang_research.calibration import model_hessians
    from jang_research.allocation import additivity_check
    m = jr.load(a.model)
    table = jr.sensitivity(m, progress=False)
    methods = sorted({r['method'] for r in table.rows.values()})
    hs = model_hessians(m.model, m.tokenizer, m.fingerprint, 16, 256)    # jr.quantize's calibration
    t = time.time()
    res = additivity_check(m.model, m.tokenizer, table, m.inventory, hs, n_plans=a.plans, bits_choices=tuple(a.bits), seed=a.seed)
    secs = time.time() - t
    print(f"{m.name}, table methods {' '.join(methods)}; {a.plans} random plans, bits {a.bits} ({secs:.0f} s):")
    print(f"  Pearson {res['pearson']:.3f}, Spearman {res['spearman']:.3f}, median measured/predicted {res['ratio_median']:.2f}")
    for p, q in zip(res['predicted'], res['measured']): print(f"    predicted {p:8.4f}  measured {q:8.4f}  ratio {q / p:5.2f}")
    if a.json:
        out = dict(model=m.name, bits=a.bits, plans=a.plans, seed=a.seed, seconds=round(secs), methods=methods,
                   **{k: (v.tolist() if hasattr(v, 'tolist') else v) for k, v in res.items()})
        open(a.json, 'w').write(json.dumps(out, indent=1))

if __name__ == '__main__':
    main()
