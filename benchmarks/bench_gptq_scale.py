"""Whole-model GPTQ wall time and peak memory, for a real model or a random-weight model of a real shape.

Phases, each timed on the default MLX device (GPU when the CUDA/Metal backend has one):
calibration Hessians (H = 2·XᵀX/n for every linear input), then GPTQ of every tensor (with the
never-worse guard against MSE/RTN), then RTN of every tensor for reference. Prints the time of each
phase, the peak memory MLX's allocator reached (device memory on a GPU) and the process's peak RSS,
and a quality check that needs no text: the summed Hessian-weighted error tr(ΔW H ΔWᵀ) of GPTQ vs RTN.

A random-weight model has no meaningful text quality, but its shapes make the timing real: `llama-1b`
is Llama-3.2-1B's shape (hidden 2048, 16 layers, MLP 8192, 32 heads / 8 KV heads, vocab 128256,
tied head). Calibration tokens are random ids for random models, calibration text for real ones.

Usage: python benchmarks/bench_gptq_scale.py [--shape llama-1b | --model smollm2-135m-instruct]
           [--calib-windows 32] [--calib-len 512] [--bits 4] [--group-size 64] [--layers N] [--json out.json]
"""
import argparse, json, resource, time

SHAPES = {
    'llama-1b': dict(model_type='llama', hidden_size=2048, num_hidden_layers=16, intermediate_size=8192,
                     num_attention_heads=32, num_key_value_heads=8, head_dim=64, vocab_size=128256,
                     rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=True),
    'llama-tiny': dict(model_type='llama', hidden_size=256, num_hidden_layers=2, intermediate_size=512,
                       num_attention_heads=4, num_key_value_heads=2, head_dim=64, vocab_size=1024,
                       rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True),
}

def random_model(shape:str, layers:int|None=None, seed:int=0):
    "A random-init mlx-lm model of a named real shape, fp32."
    from jang_research.backend import mx
    from mlx_lm.utils import _get_classes
    cfg = dict(SHAPES[shape])
    if layers: cfg['num_hidden_layers'] = layers
    model_cls, args_cls = _get_classes(cfg)
    mx.random.seed(seed)
    model = model_cls(args_cls.from_dict(cfg))
    model.set_dtype(mx.float32)
    mx.eval(model.parameters())
    return model, cfg

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group()
    src.add_argument('--shape', choices=sorted(SHAPES), help='random-weight model of this shape')
    src.add_argument('--model', help='a prepared real model (e.g. smollm2-135m-instruct)')
    ap.add_argument('--layers', type=int, help='keep only the first N layers (random shapes)')
    ap.add_argument('--calib-windows', type=int, default=32)
    ap.add_argument('--calib-len', type=int, default=512)
    ap.add_argument('--bits', type=int, default=4)
    ap.add_argument('--group-size', type=int, default=64)
    ap.add_argument('--json')
    a = ap.parse_args()
    from jang_research.backend import mx, device_name, blas_info
    from jang_research.inventory import inventory, uniform_plan
    from jang_research.methods import float_weights, quantize_tensor
    from jang_research.affine import QTensor
    from jang_research.calibration import collect_hessians
    from jang_research.gptq import hessian_error
    import jang_research.gptq  # noqa: F401  (registers 'gptq')
    t0 = time.time()
    if a.model:
        from jang_research.models import load_model
        from jang_research.data import token_windows, calibration_text
        model, tok = load_model(a.model)
        windows = token_windows(tok, calibration_text(), a.calib_windows, a.calib_len)
        name = a.model
    else:
        shape = a.shape or 'llama-1b'
        model, cfg = random_model(shape, a.layers)
        mx.random.seed(1)
        windows = mx.random.randint(0, cfg['vocab_size'], (a.calib_windows, a.calib_len))
        name = f"random {shape}" + (f" ({a.layers} layers)" if a.layers else '')
    inv = inventory(model)
    fw = float_weights(model, inv)
    n_params = sum(t.n_params for t in inv)
    t_load = time.time() - t0
    print(f"{name}: {len(inv)} quantizable tensors, {n_params/1e6:.0f}M params; MLX device {device_name()}; "
          f"{blas_info()['blas']}; calibration {a.calib_windows}x{a.calib_len} tokens; {a.bits}-bit g{a.group_size}", flush=True)
    mx.reset_peak_memory()
    t = time.time()
    hs = collect_hessians(model, windows, batch=4)
    t_h = time.time() - t
    print(f"  Hessians          {t_h:8.1f} s", flush=True)
    res, by_role, split = {}, {}, {}
    roles = {t.path: ('head' if t.tied or t.role == 'lm_head' else t.role) for t in inv}
    for meth in ('gptq', 'rtn'):
        plan = uniform_plan(inv, a.bits, a.group_size, meth)
        qw, t_all = {}, time.time()
        for p in fw:          # tensor by tensor, so the time per role can be reported
            t = time.time()
            qw[p] = quantize_tensor(fw[p], plan.specs[p], path=p, hessians=hs)
            mx.eval(qw[p].weight if isinstance(qw[p], QTensor) else qw[p])
            by_role.setdefault(meth, {}).setdefault(roles[p], [0, 0.0])
            by_role[meth][roles[p]][0] += 1
            by_role[meth][roles[p]][1] += time.time() - t
            for k, v in ((getattr(qw[p], 'meta', None) or {}).get('seconds') or {}).items():
                split[k] = split.get(k, 0.0) + v
        res[meth] = (time.time() - t_all, qw)
        print(f"  {meth.upper():<5} all tensors {res[meth][0]:8.1f} s   by role: "
              + ', '.join(f"{r} {n}× {s:.1f} s" for r, (n, s) in by_role[meth].items()), flush=True)
    peak = mx.get_peak_memory() / 2**30
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    err = {m: 0.0 for m in res}
    won = {}
    for p in fw:
        if p not in hs.H or fw[p].ndim != 2: continue
        for m in res: err[m] += hessian_error(fw[p], res[m][1][p].dequantize(), hs.H[p])
        u = (res['gptq'][1][p].meta or {}).get('method_used')
        won[u] = won.get(u, 0) + 1
    total = t_h + res['gptq'][0]
    print(f"  whole-model GPTQ wall time: Hessians {t_h:.1f} s + GPTQ {res['gptq'][0]:.1f} s = {total:.1f} s "
          f"(RTN alone {res['rtn'][0]:.1f} s; model build/load {t_load:.1f} s)")
    if split: print("  GPTQ time split: " + ', '.join(f"{k} {v:.1f} s" for k, v in split.items())
                    + " (factor: float64 Cholesky of H⁻¹ on the host; codes: MSE grid + column loop; guard: RTN/MSE/GPTQ errors)")
    print(f"  peak memory: MLX allocator {peak:.2f} GiB, process RSS {rss:.2f} GiB")
    print(f"  sum tr(ΔW H ΔWᵀ): GPTQ {err['gptq']:.4g} vs RTN {err['rtn']:.4g} ({err['rtn']/err['gptq']:.2f}x lower); "
          f"guard winners {won}")
    if a.json:
        json.dump(dict(model=name, device=device_name(), tensors=len(inv), params=n_params, calib=[a.calib_windows, a.calib_len],
                       bits=a.bits, group_size=a.group_size, hessian_s=t_h, gptq_s=res['gptq'][0], rtn_s=res['rtn'][0],
                       peak_mlx_gib=peak, peak_rss_gib=rss, h_err=err, won=won, by_role=by_role, gptq_split=split), open(a.json, 'w'), indent=1)

if __name__ == '__main__':
    main()
