"""RTN vs MSE-optimal vs GPTQ, end to end, printed side by side in one run.

For each model: calibration Hessians (timed), then uniform 3- and 4-bit quantization of every tensor
(group 64) with each method (timed), each evaluated against the float model on held-out text (KL,
PPL with 95% bootstrap intervals over windows, fake-quant fp32 on CPU). Ends with the GPTQ-vs-RTN
KL ratios and the whole-model GPTQ wall time (Hessians + quantization).

Usage: python benchmarks/bench_quantizers.py [--models smollm2-135m-instruct gemma-3-270m]
           [--calib-windows 32] [--calib-len 256] [--windows 16] [--window-len 128] [--json out.json]
"""
import argparse, json, time

def bench(model_name, a):
    from jang_research.backend import blas_info, device_name
    from jang_research.models import load_model, model_path, model_fingerprint
    from jang_research.inventory import inventory, uniform_plan
    from jang_research.methods import float_weights, quantize_weights, dequantized
    from jang_research.evaluation import Evaluator
    from jang_research.calibration import model_hessians
    import jang_research.mse, jang_research.gptq  # noqa: F401 (register methods)
    src = model_path(model_name)
    fmodel, tok = load_model(src)
    inv = inventory(fmodel)
    fw = float_weights(fmodel, inv)
    ev = Evaluator(fmodel, tok, model_fingerprint(src), n_windows=a.windows, window_len=a.window_len)
    t = time.time()
    hs = model_hessians(fmodel, tok, model_fingerprint(src), a.calib_windows, a.calib_len, progress=False)
    t_h = time.time() - t
    print(f"\n{model_name}: {blas_info()['blas']} on {device_name()}; Hessians from {a.calib_windows}x{a.calib_len} calibration tokens "
          f"in {t_h:.0f} s (0 s means cached); eval {a.windows}x{a.window_len} held-out tokens", flush=True)
    print(f"  {'method':<16} {'time s':>7} {'KL mean [95% CI]':<28} {'top-1':>6} {'PPL [95% CI]':<26} {'won (gptq/mse/rtn)'}")
    rows = []
    for bits in (3, 4):
        for meth in ('rtn', 'mse', 'gptq'):
            plan = uniform_plan(inv, bits, 64, meth)
            t = time.time()
            qw = quantize_weights(fw, plan, hessians=hs)
            t_q = time.time() - t
            won = {}
            for q in qw.values():
                m = getattr(q, 'meta', None) or {}
                for u in ([m.get('method_used')] if not isinstance(m.get('method_used'), list) else m['method_used']):
                    if u: won[u] = won.get(u, 0) + 1
            s = ev.evaluate(dequantized(qw)).summary()
            del qw
            rows.append(dict(model=model_name, bits=bits, method=meth, quantize_s=t_q, hessian_s=t_h, won=won,
                             **{k: (v.to_json() if hasattr(v, 'to_json') else v) for k, v in s.items()}))
            wn = '/'.join(str(won.get(k, 0)) for k in ('gptq', 'mse', 'rtn')) if meth == 'gptq' else ''
            print(f"  {meth.upper()+f' {bits}-bit g64':<16} {t_q:7.1f} {s['kl_mean']:.4f}{'':6} {s['top1'].value:6.3f} {s['ppl']:.2f}{'':4} {wn}", flush=True)
    for bits in (3, 4):
        r = {x['method']: x for x in rows if x['bits'] == bits}
        print(f"  {bits}-bit KL ratio RTN/GPTQ = {r['rtn']['kl_mean']['value']/r['gptq']['kl_mean']['value']:.2f}x, "
              f"RTN/MSE = {r['rtn']['kl_mean']['value']/r['mse']['kl_mean']['value']:.2f}x; "
              f"PPL RTN {r['rtn']['ppl']['value']:.2f} vs GPTQ {r['gptq']['ppl']['value']:.2f} (float {r['gptq']['ppl_ref']['value']:.2f})")
    g3 = next(x for x in rows if x['bits'] == 3 and x['method'] == 'gptq')
    print(f"  whole-model GPTQ wall time: Hessians {t_h:.0f} s + quantization {g3['quantize_s']:.0f} s = {t_h + g3['quantize_s']:.0f} s")
    return rows

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--models', nargs='+', default=['smollm2-135m-instruct'])
    ap.add_argument('--calib-windows', type=int, default=32)
    ap.add_argument('--calib-len', type=int, default=256)
    ap.add_argument('--windows', type=int, default=16)
    ap.add_argument('--window-len', type=int, default=128)
    ap.add_argument('--json')
    a = ap.parse_args()
    rows = [r for m in a.models for r in bench(m, a)]
    if a.json: open(a.json, 'w').write(json.dumps(rows, indent=2))

if __name__ == '__main__': main()
