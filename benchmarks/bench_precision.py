"""How far the compute precision moves the KL numbers this package reports.

jang_research scores every quantized model in float32 (COMPUTE_DTYPE). A GPU user would rather run a model in its source
dtype. This benchmark scores the same quantized weights (uniform affine RTN at each --bits, group 64, quantized once from
the float32 weights) against the same float model, with both models run in float32, bfloat16 and float16, and prints per
precision: the mean KL(float ‖ quantized) with its bootstrap CI, top-1 agreement, the ratio to the float32 KL, and the
"floor": the KL of the float model run in that precision against the float model run in float32. The last column scores the
low-precision quantized model against the float32 reference (what mixing the two would report). MLX_ENABLE_TF32 (read
once, at process start) decides whether float32 matmuls use TF32 on a CUDA GPU; the header says which.

Usage: python benchmarks/bench_precision.py [--model smollm2-135m-instruct | file.gguf | folder] [--windows 32]
       [--window-len 256] [--bits 2 3 4 8] [--dtypes float32 bfloat16 float16] [--json out.json]
"""
import argparse, json, os, time
import numpy as np

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--model', default='smollm2-135m-instruct', help='known model name, .gguf file or model folder')
    ap.add_argument('--windows', type=int, default=32, help='held-out windows')
    ap.add_argument('--window-len', type=int, default=256, help='tokens per window')
    ap.add_argument('--bits', type=int, nargs='+', default=[2, 3, 4, 8], help='uniform RTN widths (group 64)')
    ap.add_argument('--dtypes', nargs='+', default=['float32', 'bfloat16', 'float16'], help='compute dtypes; the first is the reference')
    ap.add_argument('--json', help='write the rows here')
    a = ap.parse_args()
    import jang_research  # noqa: F401  (OpenBLAS on Linux CPUs; MLX_ENABLE_TF32=0 unless the user chose)
    from jang_research.backend import mx, MX_DTYPES
    from mlx.utils import tree_flatten, tree_unflatten
    from jang_research.models import load_model, prepare_model, model_path
    from jang_research.inventory import inventory, uniform_plan
    from jang_research.methods import float_weights, quantize_weights, dequantized
    from jang_research.data import token_windows, heldout_text
    from jang_research.evaluation import token_metrics, eval_batch, bootstrap
    src = prepare_model(a.model, progress=False) if a.model.endswith('.gguf') else model_path(a.model)
    model, tok = load_model(src)   # float32
    inv = inventory(model)
    base = dict(tree_flatten(model.parameters()))
    fw = float_weights(model, inv)
    t = time.perf_counter()
    quantized = {b: {f'{p}.weight': w for p, w in dequantized(quantize_weights(fw, uniform_plan(inv, b))).items()} for b in a.bits}
    t_quant = time.perf_counter() - t
    windows = token_windows(tok, heldout_text(), a.windows, a.window_len)
    batch = eval_batch(model, a.window_len)
    print(f"{src.name} on {mx.default_device()}; MLX_ENABLE_TF32={os.environ.get('MLX_ENABLE_TF32')}; {a.windows} x {a.window_len} "
          f"held-out tokens, batches of {batch}; RTN {a.bits} g64 quantized in {t_quant:.1f} s")

    def logits(dtype, swap=None):
        "Per batch of windows: the model's float32 logits with its parameters (and `swap`) cast to `dtype`."
        model.update(tree_unflatten([(k, v.astype(dtype) if mx.issubdtype(v.dtype, mx.floating) else v)
                                     for k, v in {**base, **(swap or {})}.items()]))
        out = []
        for i in range(0, windows.shape[0], batch):
            y = model(windows[i:i + batch]).astype(mx.float32)
            mx.eval(y)
            out.append(y)
        return out

    def score(ref, q):
        parts = [token_metrics(r, y, windows[i * batch:(i + 1) * batch]) for i, (r, y) in enumerate(zip(ref, q))]
        kl, top1 = np.concatenate([p['kl'] for p in parts]), np.concatenate([p['top1'] for p in parts])
        return bootstrap(kl), float(top1.mean()), bool(np.isfinite(kl).all())

    rows, ref32 = [], None
    for name in a.dtypes:
        dt, t = MX_DTYPES[name], time.perf_counter()
        ref = logits(dt)
        if ref32 is None: ref32 = ref
        floor, _, _ = score(ref32, ref)
        for b in a.bits:
            q = logits(dt, quantized[b])
            kl, top1, finite = score(ref, q)
            mixed, _, _ = score(ref32, q)
            rows.append(dict(dtype=name, bits=b, kl=kl.value, kl_lo=kl.lo, kl_hi=kl.hi, top1=top1, finite=finite,
                             floor=floor.value, kl_vs_fp32_ref=mixed.value))
        print(f"  {name}: {time.perf_counter() - t:.1f} s")
    model.update(tree_unflatten(list(base.items())))
    first = {r['bits']: r['kl'] for r in rows if r['dtype'] == a.dtypes[0]}
    print(f"{'dtype':9s} {'bits':>4s} {'KL mean [95% CI]':>26s} {'top-1':>6s} {'KL/ref':>7s} {'floor KL':>9s} {'KL vs fp32 ref':>14s}")
    for r in rows:
        r['ratio'] = r['kl'] / first[r['bits']] if first[r['bits']] else float('nan')
        print(f"{r['dtype']:9s} {r['bits']:4d} {r['kl']:10.5f} [{r['kl_lo']:.5f}, {r['kl_hi']:.5f}] {r['top1']:6.1%} {r['ratio']:7.3f} "
              f"{r['floor']:9.2e} {r['kl_vs_fp32_ref']:14.5f}{'' if r['finite'] else '  NON-FINITE'}")
    if a.json: open(a.json, 'w').write(json.dumps(dict(model=str(src.name), device=str(mx.default_device()),
                                                        tf32=os.environ.get('MLX_ENABLE_TF32'), rows=rows), indent=1))

if __name__ == '__main__': main()
