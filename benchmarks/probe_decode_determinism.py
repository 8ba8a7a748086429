"""Is a decode loop reproducible, and if not, why? A tiny quantized model, MLX's layers and then our fused layers, on the
default device (and the CPU for reference):

1. the single ops of a quantized forward, each run after MLX's buffer cache was filled with 0s, with 1000s and with NaNs
   (freed buffers of many sizes, which the allocator hands out again): MLX's quantized matmul at 1–64 rows and a few
   widths (4-bit g64), a quantized embedding's gather + dequantize, attention over 17 tokens with a causal mask. An op
   that reads memory it did not write (or leaves part of its output unwritten) moves with the fill; a correct one does not.
2. the same for whole forwards (17 tokens, and 1 token as in decoding) of the float model, of the quantized model with
   MLX's layers and with our fused layers.
3. decode loops: mlx-lm's generate_step along one forced token stream, run twice, and on the CPU (its `stream` argument;
   `with mx.stream(mx.cpu)` alone does not move it, it runs on its own generation stream). Log-probabilities are
   collected three ways: copied to the host inside the sampler (`eager`, synchronous), from the values the loop yields
   (`yield`), or kept as lazy arrays and evaluated at the end (`lazy`, how the first version of this probe and
   tests/test_runtime_gpu.py collected them).

Each comparison prints (largest log-probability difference, share of steps with the same argmax).
Usage: python benchmarks/probe_decode_determinism.py [--family llama] [--steps 12]
"""
import argparse

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--family', default='llama')
    ap.add_argument('--steps', type=int, default=12)
    a = ap.parse_args()
    import numpy as np
    from jang_research.backend import mx
    from jang_research.turboquant import fuse_layers
    from jang_research.testing import tiny_model
    from jang_research.inventory import inventory, uniform_plan
    from jang_research.methods import float_weights, quantize_weights, to_quantized_model
    from mlx_lm.generate import generate_step
    walk = [(11 * k + 5) % 256 for k in range(a.steps)]
    prompt = mx.array(list(range(3, 20)))

    def poison(value):
        "Fill MLX's buffer cache with buffers of `value` of many sizes (freed, not released: the allocator hands them out again)."
        keep = [mx.full((n,), value) for n in [2 ** k for k in range(6, 24)] for _ in range(4)]
        mx.eval(keep)
        del keep

    def moved(f):
        "What `f` (-> numpy) reads of memory it did not write: (max |Δ| between runs on 0- and 1000-filled memory, NaN on NaN-filled)."
        runs = []
        for value in (0.0, 1e3, float('nan')):
            poison(value)
            runs.append(f())
        return f"max |Δ| {np.abs(runs[0] - runs[1]).max():.3g} (0 vs 1000 fill), NaN on NaN fill: {bool(np.isnan(runs[2]).any())}"

    def forwards(model):
        "Logits of the prompt (matrix products) and of its first token alone (the vector products of decoding), no cache."
        return [lambda ids=ids: np.array(model(ids[None]).astype(mx.float32)) for ids in (prompt, prompt[:1])]

    def loop(model, how, stream=None):
        "Log-probabilities (steps, vocab) of mlx-lm's decode loop fed the tokens of `walk`, collected `how`."
        seen = []
        def forced(logprobs):
            if how == 'eager': seen.append(np.array(logprobs.astype(mx.float32)).reshape(-1))
            elif how == 'lazy': seen.append(logprobs.astype(mx.float32).reshape(-1))
            else: seen.append(None)
            return mx.array([walk[(len(seen) - 1) % len(walk)]])   # mlx-lm samples one step ahead
        kw = {} if stream is None else dict(stream=stream)
        # only `yield` reads what the loop yields: a host copy each step would make the other two collections synchronous too
        out = [np.array(lp.astype(mx.float32)) if how == 'yield' else None
               for _, lp in generate_step(prompt, model, max_tokens=a.steps, sampler=forced, **kw)]
        if how == 'lazy': return np.array(mx.stack(seen[:a.steps]))
        return np.stack(out) if how == 'yield' else np.stack(seen[:a.steps])

    def agree(x, y):
        same = (x.argmax(-1) == y.argmax(-1)).mean()
        return f"max |Δ log p| {np.abs(x - y).max():.3g}, same argmax {same:.0%}"

    def op_checks():
        "(label, what moved) for the single ops of a quantized forward."
        out = []
        for n_in, n_out in [(64, 128), (128, 64), (64, 256), (4096, 4096)]:
            w = mx.random.normal((n_out, n_in), key=mx.random.key(1))
            q, s, b = mx.quantize(w, group_size=64, bits=4)
            for rows in [1, 8, 9, 17, 64]:
                x = mx.random.normal((rows, n_in), key=mx.random.key(2))
                out.append((f"quantized_matmul {rows:2d} x {n_in} -> {n_out}",
                            moved(lambda: np.array(mx.quantized_matmul(x, q, s, b, transpose=True, group_size=64, bits=4)))))
        ids = mx.array(list(range(3, 20)))
        out.append(('quantized embedding rows: 17 gathered, dequantized',
                    moved(lambda: np.array(mx.dequantize(q[ids], s[ids], b[ids], group_size=64, bits=4)))))
        qkv = [mx.random.normal((1, h, 17, 16), key=mx.random.key(k)) for k, h in [(3, 4), (4, 2), (5, 2)]]
        out.append(('attention 17 tokens, 4 q / 2 kv heads of 16, causal',
                    moved(lambda: np.array(mx.fast.scaled_dot_product_attention(*qkv, scale=0.25, mask='causal')))))
        return out

    def model_checks(label, model):
        for tokens, f in zip((17, 1), forwards(model)): print(f"{label + f' forward, {tokens} token' + 's' * (tokens > 1):55s} {moved(f)}")

    print(f"{a.family}, affine 4-bit g64, {a.steps} steps on {mx.default_device()}")
    for label, what in op_checks(): print(f"{label:55s} {what}")
    model = tiny_model(a.family)
    model_checks('float model', model)
    plan = uniform_plan(inventory(model), 4, 64)
    to_quantized_model(model, quantize_weights(float_weights(model), plan), plan)
    for label in ['MLX layers', 'fused layers']:
        if label == 'fused layers' and not fuse_layers(model, min_bytes=0):
            print('fused layers: none on this device')
            break
        model_checks(label, model)
        mx.clear_cache()   # the loops start from released, not NaN-filled, buffers
        cpu = loop(model, 'eager', stream=mx.cpu)
        for how in ['eager', 'yield', 'lazy']:
            first, second = loop(model, how), loop(model, how)
            print(f"{label:13s} {how:5s} run twice: {agree(first, second)};  vs the CPU: {agree(first, cpu)}")

if __name__ == '__main__': main()
