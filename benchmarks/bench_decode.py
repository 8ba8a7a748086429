"""Decode and prefill speed of quantized models, side by side in one run.

Variants, each built in memory from the same float model (real weights, or random weights of a real shape):
  float     the float model (bf16 on a GPU, fp32 on a CPU, where bf16 math is emulated); every variant computes in that dtype
  affine4   uniform MLX affine 4-bit g64 (stock mlx-lm layers)
  mixed     what an allocator produces: attention 8-bit, MLP 3/4/5/6-bit by layer, head 6-bit (affine g64; 1.27x affine4's bytes
            at the 8B shape)
  mixed4    a mixed plan of affine4's bytes (issue 17's comparison): attention 6-bit, MLP 3/4-bit in alternate layers, head
            4-bit (affine g64; 0.996x affine4's bytes at the 8B shape, 0.988x at the 1B)
  tq4-mlp   TurboQuant 4-bit per-row codes on every MLP / expert tensor, affine 4-bit g64 elsewhere
  jangtq-k  (MoE) routed experts TurboQuant gate/up 2-bit, down 4-bit; everything else affine 8-bit g64
  affine-k  (MoE) the same widths in MLX affine g64
  NAME-fused  variant NAME with its affine layers turned into our fused-kernel layers (load_bundle(runtime='fused'))
  NAME-tqfused  the same, blocks with TurboQuant MLPs fused too (fuse_layers(tq_mlp=True))
  NAME-mma    (anywhere in the name) affine decode products on tensor cores (turboquant.GEMV_MMA), e.g. affine4-fused-mma-compiled
  NAME-compiled  variant NAME decoded by runtime.compiled_generate_step (fixed-length KV buffers, each step one compiled graph)
                 instead of mlx-lm's generate_step; -fused-compiled does both
  NAME-static  the same fixed-length KV buffers, each step run op by op (compile=False): what the buffers and mask cost alone

For each: greedy decode tok/s and ms/token (mlx-lm's generate_step, after warm-up steps), the bytes of
weights one decode step reads (embedding: one row; routed experts: top-k of them), the share of the memory
bandwidth that reading implies (nominal peak on a GPU; on a CPU the bandwidth of a 1 GB memcpy on one core, measured here),
and prefill tok/s of a --prefill-token prompt.

With --bundle B (a folder `jang-research quantize` wrote) the variants are that bundle as it is: `bundle` (the layers
stock mlx-lm builds), `bundle-fused` (load_bundle(runtime='fused')), `bundle-compiled`; the bytes a step reads are
counted from its parameters the same way.

Usage: python benchmarks/bench_decode.py [--model smollm2-135m-instruct | --shape smollm2-135m|llama-1b|llama-8b|qwen3-30b-a3b|zaya1-like | --bundle B]
           [--variants float float-compiled affine4 affine4-fused mixed mixed-compiled tq4-mlp tq4-mlp-fused-compiled ...] [--steps 64] [--prefill 512] [--json out.json]
"""
import argparse, json, time
from pathlib import Path

SHAPES = {
    # SmolLM2-135M's published layout (the smallest rung of bench_pipeline's size ladder; the real model is the CPU default)
    'smollm2-135m': dict(model_type='llama', hidden_size=576, num_hidden_layers=30, intermediate_size=1536, num_attention_heads=9,
                         num_key_value_heads=3, head_dim=64, vocab_size=49152, rms_norm_eps=1e-5, rope_theta=100000.0, tie_word_embeddings=True),
    'llama-1b': dict(model_type='llama', hidden_size=2048, num_hidden_layers=16, intermediate_size=8192, num_attention_heads=32,
                     num_key_value_heads=8, head_dim=64, vocab_size=128256, rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=True),
    'llama-8b': dict(model_type='llama', hidden_size=4096, num_hidden_layers=32, intermediate_size=14336, num_attention_heads=32,
                     num_key_value_heads=8, head_dim=128, vocab_size=128256, rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=False),
    'qwen3-30b-a3b': dict(model_type='qwen3_moe', hidden_size=2048, num_hidden_layers=48, intermediate_size=6144, moe_intermediate_size=768,
                          num_attention_heads=32, num_key_value_heads=4, head_dim=128, vocab_size=151936, num_experts=128,
                          num_experts_per_tok=8, decoder_sparse_step=1, mlp_only_layers=[], norm_topk_prob=True, rms_norm_eps=1e-6,
                          rope_theta=1e6, max_position_embeddings=32768, tie_word_embeddings=False),
    # ZAYA1-8B's published layout (hidden 2048, 16 query / 2 KV heads of 128, 40 top-1 MoE layers of 16 experts, Gemma-3
    # vocabulary, rope theta 5e6) with two substitutions: standard GQA attention for its CCA attention, which mlx-lm lacks,
    # and an expert width of 1920, our choice (8.5 B parameters in all, the published 8.4 B); decode reads one expert of 16 a
    # layer, the top-1 case Qwen3's top-8 lacks
    'zaya1-like': dict(model_type='qwen3_moe', hidden_size=2048, num_hidden_layers=40, intermediate_size=6144, moe_intermediate_size=1920,
                       num_attention_heads=16, num_key_value_heads=2, head_dim=128, vocab_size=262272, num_experts=16,
                       num_experts_per_tok=1, decoder_sparse_step=1, mlp_only_layers=[], norm_topk_prob=True, rms_norm_eps=1e-6,
                       rope_theta=5e6, max_position_embeddings=32768, tie_word_embeddings=True),
}
PEAK_BANDWIDTH = {'H200': 4.8e12, 'H100': 3.35e12}   # bytes/s, nominal

def gpu_name() -> str:
    "The CUDA GPU's name from nvidia-smi ('' without one): MLX names the device only 'gpu'."
    import subprocess
    try: return subprocess.run(['nvidia-smi', '--query-gpu=name', '--format=csv,noheader'], capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError): return ''

def model_of(a, dtype):
    "(fresh float model, tokenizer or None, config) of --model or --shape, floating parameters in `dtype`."
    from jang_research.backend import mx
    if a.model:
        from jang_research.models import load_model
        model, tok = load_model(a.model, dtype=dtype)
        return model, tok, dict(model.args.__dict__) if hasattr(model, 'args') else {}
    from jang_research.models import model_classes
    cfg = SHAPES[a.shape]
    model_cls, args_cls = model_classes(cfg)
    mx.random.seed(0)
    model = model_cls(args_cls.from_dict(cfg))
    model.set_dtype(dtype)   # each parameter is made (fp32) and cast when evaluated: never the whole model in fp32
    mx.eval(model.parameters())
    return model, None, cfg

def planned_model(a, variant:str, dtype):
    "(model quantized by `variant`'s plan in memory, its inventory, the plan or None for float, config) of --model or --shape."
    from jang_research.inventory import inventory
    from jang_research.methods import float_weights, quantize_weights, to_quantized_model
    model, _, cfg = model_of(a, dtype)
    inv = inventory(model)
    plan = plan_of(variant, inv)
    if plan is not None: to_quantized_model(model, quantize_weights(float_weights(model, inv), plan, tq_seed=0), plan, compute_dtype=dtype)
    return model, inv, plan, cfg

def plan_of(variant:str, inv:list):
    from jang_research.inventory import uniform_plan, QuantSpec, Plan
    from jang_research.jangtq import tq_mlp_plan
    from jang_research.jangtq import jangtq_plan, JANGTQ_RECIPES
    if variant == 'float': return None
    if variant in ('jangtq-k', 'affine-k'):
        plan = jangtq_plan(inv, 'JANGTQ_K')
        if variant == 'jangtq-k': return plan
        widths = JANGTQ_RECIPES['JANGTQ_K']
        return Plan({t.path: QuantSpec(widths[t.kind], 64) if t.role == 'expert' else plan.specs[t.path] for t in inv}, plan.float_dtype)
    base = uniform_plan(inv, 4, 64)
    if variant == 'affine4': return base
    if variant == 'tq4-mlp': return tq_mlp_plan(inv, 4, base=base)
    if variant in ('mixed', 'mixed4'):
        attention, head, mlp = (8, 6, (3, 4, 5, 6)) if variant == 'mixed' else (6, 4, (3, 4))
        specs = dict(base.specs)   # routers and anything else: as uniform_plan has them
        for t in inv:
            if t.role == 'attention': specs[t.path] = QuantSpec(attention, 64)
            elif t.role in ('lm_head', 'embed'): specs[t.path] = QuantSpec(head, 64)
            elif t.role in ('mlp', 'expert', 'shared_expert'): specs[t.path] = QuantSpec(mlp[(t.layer or 0) % len(mlp)], 64)
        return Plan(specs, base.float_dtype)
    raise SystemExit(f'unknown variant {variant}')

def step_bytes(inv:list, plan, cfg:dict, float_dtype:str) -> int:
    "Weight bytes one decode step reads: every tensor once, the embedding one row (unless it is the tied head), routed experts top-k of E."
    from jang_research.inventory import tensor_bytes, QuantSpec
    k, e = cfg.get('num_experts_per_tok'), cfg.get('num_experts') or cfg.get('num_local_experts')
    total = 0
    for t in inv:
        spec = plan.specs[t.path] if plan else QuantSpec(None, dtype=float_dtype)
        b = tensor_bytes(t.shape, spec)
        if t.role == 'embed' and not t.tied: b = b // t.shape[0]
        if t.role == 'expert' and k and e: b = b * k // e
        total += b
    return total

def parameter_step_bytes(model, cfg:dict) -> int:
    "Bytes of `model`'s parameters (codes, scales, biases as stored) one decode step reads: the embedding one row unless it is the tied head, routed experts top-k of E."
    from mlx.utils import tree_flatten
    params = dict(tree_flatten(model.parameters()))
    tied = not any('lm_head' in p for p in params)
    k, e = cfg.get('num_experts_per_tok'), cfg.get('num_experts') or cfg.get('num_local_experts')
    total = 0
    for path, a in params.items():
        b = a.nbytes
        if 'embed_tokens' in path and not tied: b //= a.shape[0]
        elif a.ndim == 3 and k and e and a.shape[0] == e: b = b * k // e   # stacked routed experts
        total += b
    return total

def copy_bandwidth() -> float:
    "Bytes/s of a 1 GB memory copy (read + write, numpy: memcpy speed, one core): the bandwidth a CPU decode can hope for."
    import numpy as np
    src, dst = np.ones(1 << 28, np.float32), np.empty(1 << 28, np.float32)
    best = 0.0
    for _ in range(3):
        t = time.perf_counter()
        np.copyto(dst, src)
        best = max(best, 2 * src.nbytes / (time.perf_counter() - t))
    return best

def decode_speed(model, steps:int, warmup:int=4, decoder:str='mlx') -> float:
    "Greedy decode tokens/s over `steps` steps after `warmup` steps (the compiled step is traced in the first), from a 16-token prompt: mlx-lm's generate_step ('mlx'), our compiled one ('compiled'), or its fixed buffers uncompiled ('static')."
    from jang_research.backend import mx
    from mlx_lm.generate import generate_step
    from jang_research.runtime import compiled_generate_step
    prompt, greedy = mx.array(list(range(100, 116))), lambda l: mx.argmax(l, axis=-1)
    if decoder == 'mlx': tokens = (t for t, _ in generate_step(prompt, model, max_tokens=warmup + steps, sampler=greedy))
    else: tokens = compiled_generate_step(model, prompt, max_tokens=warmup + steps, sampler=greedy, compile=decoder == 'compiled')
    t = None
    for i, _ in enumerate(tokens):
        if i == warmup - 1: t = time.perf_counter()
    return steps / (time.perf_counter() - t)

def parse_variant(v:str) -> tuple:
    "(plan name, how its layers are fused ('', 'fused' or 'tqfused'), decoder) of a variant name such as 'affine4-fused-compiled' ('-mma' aside)."
    v = v.replace('-mma', '')
    decoder = next((d for d in ('compiled', 'static') if v.endswith('-' + d)), 'mlx')
    base = v.removesuffix('-' + decoder)
    fused = next((f for f in ('tqfused', 'fused') if base.endswith('-' + f)), '')
    return base.removesuffix('-' + fused) if fused else base, fused, decoder

def use_mma(v:str):
    "GEMV_MMA on for a variant named -mma (decode products on tensor cores), off for the others: set before it runs."
    import jang_research.turboquant as tq
    tq.GEMV_MMA = '-mma' in v

def prefill_speed(model, n:int) -> float:
    "Tokens/s of one n-token prompt through a fresh cache (best of two runs, the first warms up)."
    from jang_research.backend import mx
    from mlx_lm.models.cache import make_prompt_cache
    x = mx.array([[(7 * i) % 1000 + 100 for i in range(n)]])
    best = 0.0
    for _ in range(2):
        cache = make_prompt_cache(model)
        t = time.perf_counter()
        mx.eval(model(x, cache=cache))
        best = max(best, n / (time.perf_counter() - t))
    return best

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group()
    src.add_argument('--model', help='a real model (e.g. smollm2-135m-instruct)')
    src.add_argument('--shape', choices=sorted(SHAPES), help='random weights of a real shape')
    src.add_argument('--bundle', help='a bundle folder, measured as it is (variants bundle, bundle-fused, bundle-compiled)')
    ap.add_argument('--variants', nargs='+', help='default: float affine4 mixed tq4-mlp; with --bundle: bundle bundle-compiled')
    ap.add_argument('--steps', type=int, default=64)
    ap.add_argument('--prefill', type=int, default=512)
    ap.add_argument('--fuse-min-mb', type=float, help='-fused variants: fuse layers whose decode call reads at least this many MiB (default: the package\'s FUSE_MIN_BYTES)')
    ap.add_argument('--json')
    a = ap.parse_args()
    if not (a.model or a.shape or a.bundle): a.model = 'smollm2-135m-instruct'
    a.variants = a.variants or (['bundle', 'bundle-compiled'] if a.bundle else ['float', 'affine4', 'mixed', 'tq4-mlp'])
    if a.bundle and any(parse_variant(v)[0] != 'bundle' for v in a.variants):
        raise SystemExit('with --bundle the variants are bundle, bundle-fused, bundle-compiled, bundle-static (and -fused-compiled)')
    from jang_research.backend import mx, device_name
    from jang_research.turboquant import fuse_layers
    from jang_research.bundle import load_bundle
    gpu = mx.default_device() == mx.gpu
    dev = gpu_name() or device_name() if gpu else device_name()
    dtype, dtype_name = (mx.bfloat16, 'bfloat16') if gpu else (mx.float32, 'float32')   # what a user runs on each: bf16 on a GPU, fp32 on a CPU (bf16 is emulated there)
    peak = next((v for k, v in PEAK_BANDWIDTH.items() if k in dev), None)
    bw, bw_kind = (peak, 'nominal peak') if peak else (copy_bandwidth(), 'measured copy')
    print(f"{a.model or a.shape or a.bundle} on {dev}, activations {dtype_name}; bandwidth {bw/1e9:.0f} GB/s ({bw_kind}); {a.steps} decode steps, {a.prefill}-token prefill")
    print(f"{'variant':24s} {'tok/s':>8s} {'ms/tok':>8s} {'GB/step':>8s} {'% of bw':>8s} {'prefill tok/s':>14s} {'vs first':>9s}")
    rows = []
    for v in a.variants:
        t0 = time.time()
        base, fused, decoder = parse_variant(v)
        use_mma(v)
        if a.bundle:   # as it was written: its own plan, loaded the way a user loads it
            model, _, _ = load_bundle(a.bundle, compute_dtype=dtype, tokenizer=False, runtime='fused' if fused else 'mlx')
            cfg = json.loads((Path(a.bundle) / 'config.json').read_text())
            nbytes = parameter_step_bytes(model, cfg)
        else:
            model, inv, plan, cfg = planned_model(a, base, dtype)
            if fused:
                min_bytes = None if a.fuse_min_mb is None else int(a.fuse_min_mb * 2**20)
                n_fused = fuse_layers(model, min_bytes, tq_mlp=fused == 'tqfused')
                print(f"  {v}: {n_fused} layers and blocks fused", flush=True)
            nbytes = step_bytes(inv, plan, cfg, dtype_name)
        built = time.time() - t0
        tps, pre = decode_speed(model, a.steps, decoder=decoder), prefill_speed(model, a.prefill)
        row = dict(variant=v, tok_s=tps, ms_tok=1000 / tps, bytes_step=nbytes, bw_share=nbytes * tps / bw, prefill_tok_s=pre, build_s=built)
        rows.append(row)
        print(f"{v:24s} {tps:8.1f} {1000/tps:8.2f} {nbytes/1e9:8.3f} {100*row['bw_share']:7.1f}% {pre:14.0f} {tps/rows[0]['tok_s']:8.2f}x   (built in {built:.0f} s)", flush=True)
        del model
        mx.clear_cache()
    if a.json: open(a.json, 'w').write(json.dumps(dict(model=a.model or a.shape or a.bundle, device=dev, bandwidth=bw, bandwidth_kind=bw_kind, rows=rows), indent=1))

if __name__ == '__main__': main()
