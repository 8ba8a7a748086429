"""Is a decode loop reproducible? The same tiny quantized model decoded twice along one forced token stream, on this device
and on the CPU, with MLX's layers and with our fused layers; prints (largest log-probability difference, share of
steps with the same argmax) for each pair. A single forward is checked by tests/test_turboquant_gpu.py; this checks
the loop (KV cache, buffers reused from step to step). Run it as it is and with MLX_USE_CUDA_GRAPHS=0 to see whether
CUDA-graph replay is involved.

Usage: python benchmarks/probe_decode_determinism.py [--family llama] [--steps 12]
"""
import argparse

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--family', default='llama')
    ap.add_argument('--steps', type=int, default=12)
    a = ap.parse_args()
    from jang_research.backend import mx
    from jang_research.turboquant import fuse_layers
    from jang_research.testing import tiny_model
    from jang_research.inventory import inventory, uniform_plan
    from jang_research.methods import float_weights, quantize_weights, to_quantized_model
    from mlx_lm.generate import generate_step
    walk = [(11 * k + 5) % 256 for k in range(a.steps)]
    prompt = mx.array(list(range(3, 20)))
    def loop(model):
        "Log-probabilities (steps, vocab) of mlx-lm's decode loop fed the tokens of `walk`."
        seen = []
        def forced(logprobs):
            seen.append(logprobs.astype(mx.float32))
            return mx.array([walk[(len(seen) - 1) % len(walk)]])   # mlx-lm samples one step ahead
        list(generate_step(prompt, model, max_tokens=a.steps, sampler=forced))
        return mx.concatenate(seen[:a.steps])
    def agree(x, y): return f"max |Δ log p| {mx.abs(x - y).max().item():.3g}, same argmax {(mx.argmax(x, -1) == mx.argmax(y, -1)).mean().item():.0%}"
    model = tiny_model(a.family)
    plan = uniform_plan(inventory(model), 4, 64)
    to_quantized_model(model, quantize_weights(float_weights(model), plan), plan)
    first, second = loop(model), loop(model)
    with mx.stream(mx.cpu): cpu = loop(model)
    print(f"{a.family}, affine 4-bit g64, {a.steps} steps on {mx.default_device()}")
    print('MLX layers, run twice:     ', agree(first, second))
    print('MLX layers, vs the CPU:    ', agree(first, cpu))
    if fuse_layers(model, min_bytes=0):
        f1, f2 = loop(model), loop(model)
        print('fused layers, run twice:   ', agree(f1, f2))
        print('fused layers, vs the CPU:  ', agree(f1, cpu))

if __name__ == '__main__': main()
