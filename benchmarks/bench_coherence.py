"""Long-generation coherence of the report's rows: does a quantized model fall into loops where the float model does not?

For each size (default 3.0 and 4.0 bpw) the rows of `jang-research report` (uniform RTN, the JANG profile and mlx-lm
mixed recipe nearest in size, the RTN-only and the all-method allocator) and the float model hold 3-turn
conversations from the fixed prompts (data.COHERENCE_PROMPTS, chat template, the answers fed back), up to --tokens
tokens an answer, greedy and with a seeded sampler. Per row: tokens generated, share of conversations that loop,
the token where the first loop starts (a loop: an n-gram repeating back to back; no loop counts as the length),
characters before collapse, repeated 4-gram rate, distinct-2/3 (`runtime.coherence`).

Quantized rows run with fake-quant weights (dequantized to the compute dtype) swapped into the float model.
Every (row, temperature) result is a JSON file in --out, so rows can run in parallel processes
(--shard K --shards N) and a re-run measures only what is missing; --table prints what is there.

Usage: python benchmarks/bench_coherence.py [--sizes 3 4] [--tokens 1024] [--turns 3] [--temps 0 0.7]
           [--out bench/coherence] [--shard 0 --shards 1] [--table] [--json benchmarks/results/coherence_smollm2.json]
"""
import argparse, json, time
from pathlib import Path

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--sizes', type=float, nargs='+', default=[3.0, 4.0])
    ap.add_argument('--tokens', type=int, default=1024, help='tokens per answer at most')
    ap.add_argument('--turns', type=int, default=3)
    ap.add_argument('--temps', type=float, nargs='+', default=[0.0, 0.7], help='0 = greedy; else a sampler seeded per prompt')
    ap.add_argument('--prompts', type=int, help='only the first N prompts')
    ap.add_argument('--out', default='bench/coherence')
    ap.add_argument('--shard', type=int, default=0)
    ap.add_argument('--shards', type=int, default=1)
    ap.add_argument('--bundle', nargs='+', default=[], metavar='LABEL=FOLDER',
                    help="rows from bundles instead (e.g. 'allocator @3=bundles/x'): their fake-quant parameters in a model built from the "
                         "bundle's config, so no float model or quantization is needed where they run")
    ap.add_argument('--table', action='store_true', help='print the table of the results in --out and stop')
    ap.add_argument('--json', help='with --table: write every result here')
    a = ap.parse_args()
    out = Path(a.out)
    if a.table: return print_table(out, a.json)
    out.mkdir(parents=True, exist_ok=True)
    import jang_research as jr
    from jang_research.backend import device_name
    from jang_research.cli import report_plans
    from jang_research.data import COHERENCE_PROMPTS
    if a.bundle:
        m, rows = None, [(label, float(label.rsplit('@', 1)[-1]) if '@' in label else None, Path(folder))
                         for label, folder in (b.split('=', 1) for b in a.bundle)]
    else:
        m = jr.load(a.model)
        rows = [('float', None, None)] + [(label, s, plan) for s, group in report_plans(m, tuple(a.sizes)).items() for label, plan in group.items()]
    jobs = [(label, s, plan, temp) for label, s, plan in rows for temp in a.temps]
    prompts = COHERENCE_PROMPTS[:a.prompts] if a.prompts else COHERENCE_PROMPTS
    for k, (label, size, plan, temp) in enumerate(jobs):
        f = out/f"{slug(label)}-t{temp:g}.json"
        if k % a.shards != a.shard or f.exists(): continue
        t = time.time()
        res = coherence_of(m, plan, prompts, a.turns, a.tokens, temp)
        res.update(label=label, size=size, temp=temp, device=device_name(), max_tokens=a.tokens, turns=a.turns,
                   bpw=None if plan is None else bpw_of(m, plan),
                   seconds=round(time.time() - t, 1))
        f.write_text(json.dumps(res, indent=1))
        print(f"{label:<28} temp {temp:g}: {res['tokens']:.0f} tokens, loop {res['looped']:.0%}, onset {res['loop_onset']:.0f}, "
              f"repeat4 {res['repeat4']:.3f} ({res['seconds']:.0f} s, {res['tokens'] * len(prompts) / res['seconds']:.0f} tok/s)", flush=True)

def slug(label:str) -> str: return label.lower().replace('mlx-lm ', '').replace(' ', '-').replace('@', '')

def bpw_of(m, plan) -> float:
    from jang_research.inventory import effective_bpw
    if isinstance(plan, Path):
        from jang_research.bundle import read_manifest
        return round(read_manifest(plan)['totals']['effective_bpw'], 3)
    return round(effective_bpw(m.inventory, plan), 3)

def bundle_fake_model(folder:Path):
    "(model, tokenizer) of a bundle with every parameter fake-quant fp32, as the other rows run."
    from mlx_lm.utils import load_tokenizer
    from jang_research.bundle import read_manifest, check_config, bundle_fake_params
    from jang_research.models import model_classes
    cfg = check_config(folder, read_manifest(folder))
    model_cls, args_cls = model_classes(cfg)
    model = model_cls(args_cls.from_dict(cfg))
    model.load_weights(list(bundle_fake_params(folder).items()))
    model.eval()
    return model, load_tokenizer(folder)

def coherence_of(m, plan, prompts, turns, tokens, temp) -> dict:
    "Coherence of the float model, of `plan`'s fake-quant weights swapped into it, or of a bundle folder's (fake-quant)."
    import jang_research as jr
    from jang_research.runtime import coherence
    from jang_research.methods import dequantized
    from jang_research.models import swapped_weights
    if isinstance(plan, Path): return coherence(*bundle_fake_model(plan), list(prompts), turns, tokens, temp)
    if plan is None: return coherence(m.model, m.tokenizer, list(prompts), turns, tokens, temp)
    q = jr.quantize(m, plan, progress=False)
    with swapped_weights(m.model, dequantized(q.weights)):
        return coherence(m.model, m.tokenizer, list(prompts), turns, tokens, temp)

def print_table(out:Path, json_out=None):
    res = [json.loads(f.read_text()) for f in sorted(out.glob('*.json'))]
    res.sort(key=lambda r: (r['temp'], r['size'] or 0, r['bpw'] or 99))
    print(f"{'row':<28} {'bpw':>6} {'temp':>4} {'tokens':>7} {'looped':>6} {'onset':>6} {'chars':>7} {'rep4':>6} {'d2':>5} {'d3':>5}")
    for r in res:
        bpw = 'float' if r['bpw'] is None else f"{r['bpw']:.3f}"
        print(f"{r['label']:<28} {bpw:>6} {r['temp']:4g} {r['tokens']:7.0f} {r['looped']:6.0%} {r['loop_onset']:6.0f} "
              f"{r['chars_before_collapse']:7.0f} {r['repeat4']:6.3f} {r['distinct2']:5.3f} {r['distinct3']:5.3f}")
    if json_out: Path(json_out).write_text(json.dumps(res, indent=1))

if __name__ == '__main__':
    main()
