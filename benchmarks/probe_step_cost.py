"""Where a quantized decode step's time goes on a GPU: the host cost of each kind of call, and the primitives of one step.

Part 1 (`--calls`): for one 4096x4096 4-bit layer and a (1, 4096) activation, the host time to *build* N independent calls
(no evaluation) and the time to evaluate them, per call: MLX's quantized_matmul, our fused kernel as the package calls it,
the template kernel object (as before session 49) and the per-configuration one called with ready-made arguments (the
binding and the primitive alone), MLX's layer, ours and ours as it was in session 49 (launch arguments made each call),
a one-line kernel, and mx.add (an op's floor).

Part 2 (`--shape`): for each variant, the primitives one decode step builds (counted from mx.export_to_dot), the host time to
build the step and the time to evaluate it (synchronously), the same split for a loop pipelined as mlx-lm's (build, queue,
wait for the previous token), then decode tok/s through mlx-lm's generate_step for all variants in turn, `--rounds` times.
`-fused`: every affine layer the package's FusedQuantizedLinear; `-bigfused`: only those fuse_layers picks by default (at
least FUSE_MIN_BYTES: runtime='fused'); `-percall`: every one as the layer was in session 49; `-merged`: q/k/v (and
gate/up) answered by one product of the concatenated weights, split after; `-mma`: affine decode products on tensor cores (turboquant.GEMV_MMA); `-blocks`: llama blocks fused (turboquant.fuse_blocks:
four kernel calls a block besides attention, attention one more and two cache updates); `-tqblocks`: the same with TurboQuant MLPs fused too (fuse_blocks(tq_mlp=True): gate and up
paired, the rotations by their kernel); `-mlxattn` after it: the blocks' attention
left to mlx-lm's ops (as before the attention kernel); `floor`: the float model with every projection
replaced by one gather of input features (no weights read), the speed no matrix-product kernel can beat within MLX's per-op
dispatch. A name ending in `-compiled` decodes through runtime's compiled step (fixed-slot caches, one compiled graph a step) in
the loop split and the rounds (runtime.compiled_generate_step); its prims and synchronous times are of the uncompiled step.

Usage: python benchmarks/probe_step_cost.py [--calls] [--shape llama-8b] [--variants float affine4 affine4-merged affine4-fused affine4-merged-fused]
"""
import argparse, collections, math, re, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import jang_research  # noqa: F401  (before mlx: the package picks the BLAS)
import mlx.core as mx
import mlx.nn as nn
from mlx.utils import tree_unflatten
from bench_decode import use_mma   # GEMV_MMA set by a variant's name, as bench_decode.py sets it

SIBLINGS = (('q_proj', 'k_proj', 'v_proj'), ('gate_proj', 'up_proj'))

class SiblingGroup:
    "The merged product of sibling projections (one input, one matrix); each sibling takes its slice once, then it is made again."
    def __init__(self, layer, offsets): self.layer, self.offsets, self.x, self.pending = layer, offsets, None, {}

    def part(self, x, i):
        if self.x is x and i in self.pending:
            part = self.pending.pop(i)
            if not self.pending: self.x = None
            return part
        parts = mx.split(self.layer(x), self.offsets, axis=-1)
        self.x, self.pending = x, {k: p for k, p in enumerate(parts) if k != i}
        return parts[i]

class SiblingProjection(nn.Module):
    "Stands where q_proj (…) stood: its slice of the group's product."
    def __init__(self, group, index):
        super().__init__()
        object.__setattr__(self, 'group', group)   # outside the parameter tree: the merged layer is there once, under its parent
        object.__setattr__(self, 'index', index)
    def __call__(self, x): return self.group.part(x, self.index)

def concatenated_layer(layers):
    "One layer of the siblings' concatenated weights (same kind and quantization), or None."
    first = layers[0]
    if all(type(l) is nn.QuantizedLinear for l in layers) and len({(l.bits, l.group_size, l.mode) for l in layers}) == 1:
        m = nn.QuantizedLinear(first.group_size, 8, bias=False, group_size=first.group_size, bits=first.bits, mode=first.mode)
        for k in ('weight', 'scales', 'biases', 'bias'):
            if k in first: m[k] = mx.concatenate([l[k] for l in layers])
        m.freeze()
        return m
    if all(type(l) is nn.Linear for l in layers):
        m = nn.Linear(8, 8, bias='bias' in first)
        for k in ('weight', 'bias'):
            if k in first: m[k] = mx.concatenate([l[k] for l in layers])
        return m
    return None

class GatherProjection(nn.Module):
    "A projection that reads no weights: its output gathers input features (one op, still depending on x), for the step's floor without matrix products."
    def __init__(self, in_dims, out_dims):
        super().__init__()
        object.__setattr__(self, 'index', mx.arange(out_dims) % in_dims)
    def __call__(self, x): return mx.take(x, self.index, axis=-1)

def stub_projections(model) -> int:
    "Replace every Linear of `model` by a GatherProjection, in place; the number replaced."
    stubs = [(path, GatherProjection(m.weight.shape[1], m.weight.shape[0])) for path, m in model.named_modules() if isinstance(m, nn.Linear)]
    model.update_modules(tree_unflatten(stubs))
    return len(stubs)

def share_sibling_products(model) -> int:
    "Answer each group of sibling projections of `model` from one product of their concatenated weights, in place (the -merged variants; not turboquant.merge_siblings, which fused blocks use); the number of groups."
    n = 0
    for _, mod in list(model.named_modules()):
        for names in SIBLINGS:
            if not all(k in mod for k in names): continue
            layers = [mod[k] for k in names]
            m = concatenated_layer(layers)
            if m is None: continue
            sizes = [l.weight.shape[0] for l in layers]
            group = SiblingGroup(m, [sum(sizes[:k + 1]) for k in range(len(sizes) - 1)])
            mod['_'.join(names)] = m
            for k, name in enumerate(names): mod[name] = SiblingProjection(group, k)
            n += 1
    mx.eval(model.parameters())
    return n

class PerCallFusedLinear(nn.QuantizedLinear):
    "The package's fused layer as it was in session 49: each call reads its parameters as attributes and makes its launch arguments."
    def __call__(self, x):
        from jang_research.turboquant import config_gemv_kernel, gemv_constants, dense_experts
        *lead, n = x.shape
        rows = math.prod(lead)
        if rows > 8: return super().__call__(x)
        out = self.weight.shape[0]
        launch = dict(grid=(-(-out // 16) * 8 * 32, rows, 1), threadgroup=(256, 1, 1), output_shapes=[(*lead, out)], output_dtypes=[x.dtype])
        kernel = config_gemv_kernel(gemv_constants(True, self.bits, n, out, self.group_size, 2, 1, x.dtype))
        y = kernel(inputs=[x, dense_experts(rows), self.weight, self.scales, self.biases], **launch)[0]
        return y + self.bias if 'bias' in self else y

def per_call_layers(model) -> int:
    "Turn every affine QuantizedLinear our kernel reads into a PerCallFusedLinear, in place; the number turned."
    from jang_research.turboquant import fusable
    from jang_research.backend import cuda_available
    if not cuda_available(): return 0   # the kernel is CUDA's
    n = 0
    for _, layer in model.named_modules():
        if type(layer) is nn.QuantizedLinear and fusable(layer):
            layer.__class__ = PerCallFusedLinear
            n += 1
    return n

def per_call(make, n=300, repeats=5):
    "(build us, eval us) per call of `make()`, best of `repeats` batches of n independent calls."
    mx.eval(make())
    best_b = best_e = float('inf')
    for _ in range(repeats):
        t = time.perf_counter()
        ys = [make() for _ in range(n)]
        t1 = time.perf_counter()
        mx.eval(ys)
        t2 = time.perf_counter()
        best_b, best_e = min(best_b, (t1 - t) / n * 1e6), min(best_e, (t2 - t1) / n * 1e6)
    return best_b, best_e

def calls():
    from jang_research.turboquant import quant_gemv_cuda, gemv_kernel, config_gemv_kernel, gemv_constants, dense_experts, FusedQuantizedLinear
    n = out = 4096
    w = mx.random.normal((out, n)).astype(mx.bfloat16)
    q, s, b = mx.quantize(w, group_size=64, bits=4)
    x = mx.random.normal((1, n)).astype(mx.bfloat16)
    ex = dense_experts(1)
    mx.eval(q, s, b, x, ex)
    kern = gemv_kernel()
    constants = gemv_constants(True, 4, n, out, 64, 2, 1, mx.bfloat16)
    grid, tg = (-(-out // 16) * 8 * 32, 1, 1), (256, 1, 1)
    per_config = config_gemv_kernel(constants)
    tiny = mx.fast.cuda_kernel(name='jang_probe_tiny', input_names=['x'], output_names=['y'],
                               source='int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < 4096) y[i] = x[i];')
    layers = {}
    for name, cls in (('mlx', nn.QuantizedLinear), ('fused', FusedQuantizedLinear), ('per_call', PerCallFusedLinear)):
        layers[name] = nn.QuantizedLinear(n, out, bias=False, group_size=64, bits=4)
        layers[name].weight, layers[name].scales, layers[name].biases = q, s, b
        layers[name].__class__ = cls
    rows = [
        ('mx.add (one op)', lambda: mx.add(x, x)),
        ('MLX quantized_matmul', lambda: mx.quantized_matmul(x, q, s, b, transpose=True, group_size=64, bits=4)),
        ('ours: quant_gemv_cuda (per-config kernel)', lambda: quant_gemv_cuda(x, ex, q, s, b, 4, 64, True)),
        ('ours: template kernel object, args ready', lambda: kern(inputs=[x, ex, q, s, b], template=list(constants), grid=grid, threadgroup=tg,
                                                         output_shapes=[(1, out)], output_dtypes=[mx.bfloat16])[0]),
        ('ours: per-config kernel object, args ready', lambda: per_config(inputs=[x, ex, q, s, b], grid=grid, threadgroup=tg,
                                                                 output_shapes=[(1, out)], output_dtypes=[mx.bfloat16])[0]),
        ('MLX QuantizedLinear layer', lambda: layers['mlx'](x)),
        ('ours: FusedQuantizedLinear layer', lambda: layers['fused'](x)),
        ('ours: the layer as in session 49', lambda: layers['per_call'](x)),
        ('one-line kernel', lambda: tiny(inputs=[x], grid=(4096, 1, 1), threadgroup=(256, 1, 1), output_shapes=[(1, 4096)],
                                         output_dtypes=[mx.bfloat16])[0]),
    ]
    ref = mx.quantized_matmul(x, q, s, b, transpose=True, group_size=64, bits=4).astype(mx.float32)
    print(f"per call, 4096x4096 4-bit g64, x (1, 4096) bf16; {300} independent calls built, then evaluated; best of 5")
    print(f"{'call':40s} {'build us':>9s} {'eval us':>9s} {'max |diff| vs MLX':>18s}")
    for name, make in rows:
        bld, ev = per_call(make)
        y = make().astype(mx.float32)
        diff = mx.abs(y - ref).max().item() if y.shape == ref.shape else float('nan')
        print(f"{name:40s} {bld:9.2f} {ev:9.2f} {diff:18.3g}", flush=True)

def primed_cache(model):
    "A prompt cache holding a 16-token prompt, evaluated: the next forward is one decode step."
    from mlx_lm.models.cache import make_prompt_cache
    cache = make_prompt_cache(model)
    mx.eval(model(mx.array([list(range(100, 116))]), cache=cache))
    return cache

def census(model, token):
    "primitive name -> count in the graph of one decode step (greedy token) after a 16-token prompt."
    cache = primed_cache(model)
    y = mx.argmax(model(token, cache=cache)[:, -1], axis=-1)
    with tempfile.TemporaryDirectory() as d:
        # the cache's updates too: with the attention kernel they are no ancestors of the token (the next step reads them)
        mx.export_to_dot(str(Path(d) / 's.dot'), y, *[a for c in cache for a in (c.keys, c.values)])
        labels = re.findall(r'label ="?([A-Za-z_0-9]+)', (Path(d) / 's.dot').read_text())
    return collections.Counter(labels)

def step_times(model, steps=24):
    "(build ms, eval ms) of one decode step, synchronous, median over `steps` steps after a 16-token prompt."
    cache = primed_cache(model)
    tok, builds, evals = mx.array([[5]]), [], []
    for _ in range(steps):
        t = time.perf_counter()
        y = mx.argmax(model(tok, cache=cache)[:, -1], axis=-1)
        t1 = time.perf_counter()
        mx.eval(y, [c.state for c in cache])
        t2 = time.perf_counter()
        builds.append(t1 - t)
        evals.append(t2 - t1)
        tok = y[None]
    med = lambda v: sorted(v)[len(v) // 2] * 1e3
    return med(builds), med(evals)

def pipelined(next_token, y, steps:int) -> list:
    """(build, queue, wait, step) ms, medians over `steps` steps of a loop pipelined as mlx-lm's generate_step: step n+1 is
    built (next_token(y): the next token, lazy) and queued (mx.async_eval) before step n's token y is read. `wait` near 0:
    the host is the bottleneck (the GPU had finished); `wait` large: the GPU is."""
    mx.async_eval(y)
    rows = []
    for _ in range(steps):
        t = time.perf_counter()
        nxt = next_token(y)
        t1 = time.perf_counter()
        mx.async_eval(nxt)
        t2 = time.perf_counter()
        y.item()
        t3 = time.perf_counter()
        rows.append((t1 - t, t2 - t1, t3 - t2, t3 - t))
        y = nxt
    y.item()
    return [sorted(col)[len(col) // 2] * 1e3 for col in zip(*rows)]

def loop_split(model, steps=48):
    "`pipelined` times of mlx-lm's decode step after a 16-token prompt."
    cache = primed_cache(model)
    y = mx.argmax(model(mx.array([[5]]), cache=cache)[:, -1], axis=-1)
    return pipelined(lambda y: mx.argmax(model(y[None], cache=cache)[:, -1], axis=-1), y, steps)

def compiled_loop_split(model, steps=48):
    "`pipelined` times of runtime's compiled decode step over fixed-slot caches after a 16-token prompt."
    from jang_research.runtime import static_caches, compiled_step
    caches = static_caches(model, 256)
    y = mx.argmax(model(mx.array([list(range(100, 116))]), cache=caches)[:, -1], axis=-1)
    carried = [caches[0].offset + 16] + [a for c in caches for a in (c.keys, c.values)]   # offset, then keys and values
    step = compiled_step(model, len(caches))
    def next_token(y):
        logprobs, *after = step(y, *carried)
        carried[:] = after
        return mx.argmax(logprobs, axis=-1)
    return pipelined(next_token, y, steps)

def keep_mlx_attention(model) -> int:
    "Fused blocks whose decode attention stays on mlx-lm's ops, as before the attention kernel (their RoPE frequencies cleared); how many."
    attns = [m for _, m in model.named_modules() if m.__dict__.get('decode_freqs') is not None]
    for attn in attns: attn.__dict__['decode_freqs'] = None
    return len(attns)

def variant_model(v, shape, dtype):
    "(model, note) of a variant name: a plan of bench_decode.py, then -merged / -blocks / -tqblocks / -mlxattn / -fused / -bigfused / -percall / -mma / -compiled (in that order)."
    from bench_decode import planned_model
    from jang_research.turboquant import fuse_layers, fuse_blocks
    parts = v.split('-')
    while len(parts) > 1 and parts[-1] in ('merged', 'blocks', 'tqblocks', 'mlxattn', 'fused', 'bigfused', 'percall', 'mma', 'compiled'): parts.pop()
    base = '-'.join(parts)   # a plan of bench_decode.py (some have hyphens: tq4-mlp, jangtq-k)
    model, _, _, _ = planned_model(argparse.Namespace(model=None, shape=shape), 'float' if base == 'floor' else base, dtype)
    note = []
    if base == 'floor': note.append(f"{stub_projections(model)} projections read no weights")
    if '-merged' in v: note.append(f"{share_sibling_products(model)} groups merged")
    if '-blocks' in v: note.append(f"{fuse_blocks(model)} blocks fused")
    if '-tqblocks' in v:
        n = fuse_blocks(model, tq_mlp=True)
        pairs = sum('tq_pair_signs' in m.__dict__ for _, m in model.named_modules())
        note.append(f"{n} modules fused, {pairs} of them TurboQuant MLPs or expert sets read in pairs")
    if '-mlxattn' in v: note.append(f"{keep_mlx_attention(model)} blocks keep mlx-lm's attention")
    if '-fused' in v: note.append(f"{fuse_layers(model, 0)} layers fused")
    if '-bigfused' in v: note.append(f"{fuse_layers(model)} layers of >= FUSE_MIN_BYTES fused")
    if '-percall' in v: note.append(f"{per_call_layers(model)} layers as in session 49")
    if '-mma' in v: note.append('products on tensor cores')
    return model, '; '.join(note)

def shapes(a):
    from bench_decode import decode_speed
    dtype = mx.bfloat16 if mx.default_device() == mx.gpu else mx.float32   # what a user runs on each (bf16 is emulated on a CPU)
    print(f"{a.shape} on {mx.default_device()}: one decode step (greedy, 16-token prompt), {dtype} activations")
    print("step: prims built, synchronous build and eval ms; then a pipelined loop as mlx-lm's (build, queue = mx.async_eval, "
          "wait = reading the previous token, step), medians")
    print(f"{'variant':24s} {'prims':>6s} {'matmuls':>7s} {'build ms':>9s} {'eval ms':>8s} | {'build':>6s} {'queue':>6s} {'wait':>6s} {'step':>6s}")
    models = {}
    for v in a.variants:
        use_mma(v)
        model, note = variant_model(v, a.shape, dtype)
        models[v] = model
        counts = census(model, mx.array([[5]]))
        gemv = sum(c for k, c in counts.items() if k in ('QuantizedMatmul', 'Matmul', 'CustomKernel') or k.startswith('custom'))
        bld, ev = step_times(model)
        lb, lq, lw, ls = compiled_loop_split(model) if v.endswith('-compiled') else loop_split(model)
        print(f"{v:24s} {sum(counts.values()):6d} {gemv:7d} {bld:9.2f} {ev:8.2f} | {lb:6.2f} {lq:6.2f} {lw:6.2f} {ls:6.2f}  {note}", flush=True)
        if a.verbose: print('   ', dict(counts.most_common()))
    # decode tok/s of all variants in turn, `rounds` times: a GPU's decode speed drifts between runs and over a run
    print(f"decode tok/s through mlx-lm's generate_step, {a.steps} steps, variants in turn for {a.rounds} rounds (all models held)")
    speeds = {v: [] for v in a.variants}
    for _ in range(a.rounds):
        for v in a.variants:
            use_mma(v)
            speeds[v].append(decode_speed(models[v], a.steps, decoder='compiled' if v.endswith('-compiled') else 'mlx'))
    first = sorted(speeds[a.variants[0]])[a.rounds // 2]
    for v in a.variants:
        med = sorted(speeds[v])[a.rounds // 2]
        print(f"{v:24s} {' '.join(f'{t:7.1f}' for t in speeds[v])}   median {med:7.1f}  {med / first:5.2f}x", flush=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--calls', action='store_true', help='part 1: host cost per call')
    ap.add_argument('--shape', help='part 2: a random-weight shape of benchmarks/bench_decode.py')
    ap.add_argument('--variants', nargs='+', default=['float', 'affine4', 'affine4-merged', 'affine4-fused', 'affine4-merged-fused'])
    ap.add_argument('--steps', type=int, default=64)
    ap.add_argument('--rounds', type=int, default=3, help='decode speed measured this many times per variant, in turn')
    ap.add_argument('--verbose', action='store_true', help='print each variant\'s primitive counts')
    ap.add_argument('--tq-rotate-kernel', action='store_true', help='TurboQuant layers rotate by their kernel (turboquant.TQ_ROTATE_KERNEL), in every variant')
    a = ap.parse_args()
    if a.tq_rotate_kernel:
        import jang_research.turboquant as tq
        tq.TQ_ROTATE_KERNEL = True
    if a.calls: calls()
    if a.shape: shapes(a)

if __name__ == '__main__': main()
