"""Where the 4.5 bpw plan's error lives on SmolLM2, and what quantizing the scales themselves would buy.

SmolLM2-135M's "float" weights here are a Q4_1 GGUF dequantized (every linear tensor: 4-bit codes, an fp16 scale and min per
32 weights), so affine 4-bit g32 with fp16 scales and biases stores them exactly (the shipped table's proxy of every such
option is 0) at 5.0 bpw. This probe quantizes every linear tensor at 4-bit g32 (the weighted MSE fit on the float model's
own samples), stores its scales and biases either in fp16 or as k-bit codes on a grid of their own (per row, or per
super-block of groups, the grid's low end and step in fp16), re-rounds the codes to that grid, keeps the allocator's 4.5
bpw plan's embedding (the tied head), and scores held-out KL on 16 x 128 tokens. The fp16 row is the floor the embedding
alone leaves; the k-bit rows say what the cheaper storage of the scales costs.

Usage: python benchmarks/probe_scale_grids.py [--scale-bits 16 8 6 4] [--superblock 0]
  --scale-bits 16: fp16 scales and biases (no second quantization); --superblock 0: one grid a row
"""
import argparse, time

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--scale-bits', type=int, nargs='+', default=[16, 8, 6, 4])
    ap.add_argument('--superblock', type=int, default=0, help='groups sharing one grid of the scales (0: a whole row)')
    ap.add_argument('--size', type=float, default=4.5, help="the allocator's plan whose embedding is kept")
    a = ap.parse_args()
    import jang_research as jr
    from jang_research.backend import mx
    from jang_research.calibration import model_hessians
    from jang_research.tuning import calibration_windows
    from jang_research.mse import mse_affine_params
    from jang_research.affine import qtensor_from_codes
    from jang_research.inventory import QuantSpec, Plan
    from jang_research.methods import float_weights, quantize_weights
    m = jr.load('smollm2-135m-instruct')
    plan = jr.allocate(jr.sensitivity(m, progress=False), target_bpw=a.size)
    windows = calibration_windows(m.model, m.tokenizer, 16, 256, on='samples', fingerprint=m.fingerprint)
    hs = model_hessians(m.model, m.tokenizer, m.fingerprint, windows=windows)
    fw = float_weights(m.model)
    emb = 'model.embed_tokens'
    kept = quantize_weights({emb: fw[emb]}, Plan({emb: plan.specs[emb]}, plan.float_dtype), hessians=hs)

    def on_grid(v, k:int):
        "v (rows, n) stored as k-bit codes on each row's own grid (low end and step in fp16), read back in fp32."
        if k == 16: return v.astype(mx.float16).astype(mx.float32)
        lo = v.min(axis=1, keepdims=True).astype(mx.float16).astype(mx.float32)
        step = mx.maximum((v.max(axis=1, keepdims=True) - lo) / (2**k - 1), 1e-12).astype(mx.float16).astype(mx.float32)
        return mx.clip(mx.round((v - lo) / step), 0, 2**k - 1) * step + lo

    def stored(v, k:int):
        rows, n = v.shape
        sb = a.superblock or n
        return on_grid(v.reshape(rows * n // sb, sb), k).reshape(rows, n)

    print(f"{m.name}: every linear tensor 4-bit g32 (weighted MSE fit), the {a.size:g} bpw plan's embedding "
          f"({plan.specs[emb].label()}); held-out KL on 16 x 128 tokens", flush=True)
    for k in a.scale_bits:
        t0 = time.time()
        q, bits, weights = dict(kept), 0, 0
        for p, w in fw.items():
            if p == emb: continue
            _, s, b = mse_affine_params(w, 4, 32, hs.diag(p))
            s, b = stored(s, k), stored(b, k)
            s = mx.where(mx.abs(s) < 1e-8, 1e-8, s)
            groups = w.astype(mx.float32).reshape(w.shape[0], -1, 32)
            codes = mx.clip(mx.round((groups - b[..., None]) / s[..., None]), 0, 15).reshape(w.shape)
            q[p] = qtensor_from_codes(codes.astype(mx.uint32), s, b, QuantSpec(4, 32, 'mse'))
            out, n = w.shape
            grids = out * (n // 32 // a.superblock if a.superblock else 1)
            bits += 4 * out * n + (32 * out * n // 32 if k == 16 else 2 * k * out * n // 32 + 64 * grids)
            weights += out * n
        r = jr.evaluate(m, jr.Quantized(m, plan, q, {}), windows=16, window_len=128)
        kl = r['kl_mean']
        where = 'fp16' if k == 16 else f"{k}-bit codes, one grid {'a row' if not a.superblock else f'per {a.superblock} groups'}"
        print(f"  scales and biases {where:<34} {bits / weights:.3f} bpw over the linears   KL {kl['value']:.4f} "
              f"[{kl['lo']:.4f}, {kl['hi']:.4f}]  top-1 {r['top1']['value']:.3f}  ({time.time() - t0:.0f} s)", flush=True)

if __name__ == '__main__': main()
