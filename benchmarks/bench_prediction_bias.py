"""How far the sensitivity table's predictions are from held-out KL, by method, and whether correcting them moves the plans.

Reads a frontier file of bench_frontier.py (held-out KL of uniform RTN/GPTQ rows and of the allocator's plans) and the
model's shipped table; prints predicted (sum of per-tensor ΔKL, measured on calibration windows) vs measured held-out KL,
then the allocator's plans at 3.5/4.0/4.5 bpw with the feedback methods' (gptq, tq_gptq) predictions scaled by --scale:
the share of weights on each option, and how much of the weight changes option. With --measure S ..., the scaled plans
at those sizes are quantized (sequentially, jr.quantize's default) and scored on the frontier's 16 x 128 held-out tokens.

Usage: python benchmarks/bench_prediction_bias.py [--model smollm2-135m-instruct] [--frontier benchmarks/results/frontier_smollm2_all_methods.json]
           [--scale 1.65] [--measure 4.0 4.5]
"""
import argparse, collections, json

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--frontier', default='benchmarks/results/frontier_smollm2_all_methods.json')
    ap.add_argument('--scale', type=float, default=1.65)
    ap.add_argument('--measure', type=float, nargs='*', default=[], help='quantize and score the scaled plans at these sizes')
    a = ap.parse_args()
    import jang_research as jr
    from jang_research.inventory import uniform_plan
    m = jr.load(a.model)
    t = jr.sensitivity(m, progress=False)
    rows = {r['label']: r for r in json.loads(open(a.frontier).read())['rows']}
    by_spec = {(p, r['bits'], r['group_size'], r['method']): l for (p, l), r in t.rows.items()}
    print(f"{m.name}: predicted (table, calibration windows) vs measured held-out KL")
    for label, (bits, meth) in {'RTN 4-bit g64': (4, 'rtn'), 'RTN 3-bit g64': (3, 'rtn'), 'GPTQ 4-bit g64': (4, 'gptq'),
                                'GPTQ 3-bit g64': (3, 'gptq'), 'GPTQ 2-bit g64': (2, 'gptq')}.items():
        plan = uniform_plan(m.inventory, bits, 64)
        pred = sum(t.value(p, by_spec[(p, bits, 64, meth)]) for p in plan.specs)
        kl = rows[label]['kl_mean']['value']
        print(f"  {label:<16} predicted {pred:.4f}  held-out {kl:.4f}  {kl / pred:.2f}x")
    for s in (2.5, 3.0, 3.5, 4.0, 4.5):
        r = rows[f'allocator @{s:g}']
        print(f"  allocator @{s:<4g}    predicted {r['predicted']:.4f}  held-out {r['kl_mean']['value']:.4f}  {r['kl_mean']['value'] / r['predicted']:.2f}x")
    base = dict(t.method_factors())
    def scale_feedback(k):   # the table's predictions of gptq and tq_gptq, times k
        t.factors = {mm: f * (k if mm in ('gptq', 'tq_gptq') else 1.0) for mm, f in base.items()}
    n = sum(x.n_params for x in m.inventory)
    print(f"plans with the gptq/tq_gptq predictions x{a.scale:g} (shares of the weights)")
    for s in (3.5, 4.0, 4.5):
        plans = []
        for k in (1.0, a.scale):
            scale_feedback(k)
            plans.append(jr.allocate(t, target_bpw=s))
        moved = sum(x.n_params for x in m.inventory if plans[0].specs[x.path] != plans[1].specs[x.path]) / n
        for k, plan in zip((1.0, a.scale), plans):
            share = collections.Counter()
            for x in m.inventory:
                sp = plan.specs[x.path]
                share[f"{sp.method} {sp.bits}b g{sp.group_size}"] += x.n_params / n
            print(f"  @{s:g} x{k:<5g} " + ', '.join(f"{o} {v:.0%}" for o, v in share.most_common(5)))
        print(f"  @{s:g}: {moved:.1%} of the weights change option")
    for s in a.measure:
        scale_feedback(a.scale)
        r = jr.evaluate(m, jr.quantize(m, jr.allocate(t, target_bpw=s), progress=False), windows=16, window_len=128)
        kl, was = r['kl_mean'], rows[f'allocator @{s:g}']['kl_mean']['value']
        print(f"  @{s:g} scaled plan: held-out KL {kl['value']:.4f} [{kl['lo']:.4f}, {kl['hi']:.4f}], top-1 {r['top1']['value']:.3f}, "
              f"{r['bpw']:.3f} bpw (the frontier's plan: {was:.4f})", flush=True)
    t.factors = None

if __name__ == '__main__': main()
