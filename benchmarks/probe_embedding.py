"""How much of the allocator's held-out KL is the embedding's, and would measuring its options help?

SmolLM2's tied embedding holds 21% of the quantizable weights. Three probes, all on the shipped sensitivity table:
- `variants`: the allocator's plan at --target-bpw with only the embedding's option changed (another method at the
  same bits and group: `--variants mse rtn`, or other bits: `bits:5 bits:8`), quantized (jr.quantize's defaults) and
  scored on 16 x 128 held-out tokens.
- `measure`: ΔKL of every 3–6-bit option of the embedding measured as the sweep measures its reference (4 x 128
  calibration tokens), against the table's prediction; written to --dkl.
- `realloc`: the table with those measurements in place of the predictions, allocated again at --target-bpw; if the
  plan changes, it is quantized and scored as in `variants`.

Usage: python benchmarks/probe_embedding.py variants --target-bpw 4.0 --variants mse rtn bits:5 bits:8
       python benchmarks/probe_embedding.py measure --dkl embed_dkl.json
       python benchmarks/probe_embedding.py realloc --target-bpw 4.5 --dkl embed_dkl.json
"""
import argparse, dataclasses, json, time

EMBED = 'model.embed_tokens'

def score(jr, m, plan, label, bpw):
    t0 = time.time()
    r = jr.evaluate(m, jr.quantize(m, plan, progress=False), windows=16, window_len=128)
    kl = r['kl_mean']
    print(f"@{bpw} {label:16s} {r['bpw']:.3f} bpw  KL {kl['value']:.4f} [{kl['lo']:.4f}, {kl['hi']:.4f}] "
          f"top-1 {r['top1']['value']:.3f}  ({time.time() - t0:.0f} s)", flush=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('probe', choices=['variants', 'measure', 'realloc'])
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--target-bpw', type=float, default=4.0)
    ap.add_argument('--variants', nargs='+', default=['mse', 'rtn'], help='a method name, or bits:N')
    ap.add_argument('--dkl', default='embed_dkl.json', help='measured ΔKL of the embedding options (written by measure)')
    a = ap.parse_args()
    import jang_research as jr
    from jang_research.inventory import Plan
    m = jr.load(a.model)
    table = jr.sensitivity(m, progress=False)
    if a.probe == 'variants':
        plan = jr.allocate(table, target_bpw=a.target_bpw)
        print(f"allocator's embedding option: {plan.specs[EMBED].label()}", flush=True)
        score(jr, m, plan, 'allocator', a.target_bpw)
        for v in a.variants:
            spec = dataclasses.replace(plan.specs[EMBED], **({'bits': int(v[5:])} if v.startswith('bits:') else {'method': v}))
            score(jr, m, Plan({**plan.specs, EMBED: spec}, plan.float_dtype, dict(plan.meta)), f'embed {v}', a.target_bpw)
    elif a.probe == 'measure':
        from jang_research.calibration import model_hessians
        from jang_research.data import token_windows, calibration_text
        from jang_research.sweep import BlockRunner, dequantized_option, fit_spec, row_spec
        from jang_research.methods import float_weights
        hs = model_hessians(m.model, m.tokenizer, m.fingerprint, 16, 256)
        runner = BlockRunner(m.model, token_windows(m.tokenizer, calibration_text(), 4, 128))
        t = next(x for x in m.inventory if x.path == EMBED)
        w = float_weights(m.model, [t])[EMBED]
        out = {}
        for label in table.labels(EMBED):
            r = table.rows[(EMBED, label)]
            if not 3 <= r['bits'] <= 6: continue
            w_hat = dequantized_option(w, fit_spec(t, row_spec(r)), EMBED, hs)
            out[label] = runner.kl_with({EMBED: w_hat})
            pred = table.value(EMBED, label)
            print(f"{label:14s} predicted {pred:.4f}  measured {out[label]:.4f}  measured/predicted {out[label] / max(pred, 1e-9):.2f}", flush=True)
        with open(a.dkl, 'w') as f: json.dump(out, f)
    else:
        before = jr.allocate(table, target_bpw=a.target_bpw)
        with open(a.dkl) as f:
            for label, d in json.load(f).items(): table.rows[(EMBED, label)]['dkl'] = d
        after = jr.allocate(table, target_bpw=a.target_bpw)
        changed = sum(before.specs[p] != after.specs[p] for p in before.specs)
        print(f"@{a.target_bpw}: embedding {before.specs[EMBED].label()} -> {after.specs[EMBED].label()}, {changed} tensors changed", flush=True)
        if changed: score(jr, m, after, 'embed measured', a.target_bpw)

if __name__ == '__main__': main()
