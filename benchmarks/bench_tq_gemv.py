"""Decode GEMV on a CUDA GPU: the fused TurboQuant kernel vs MLX affine `quantized_matmul` at the same bits vs fp16.

For each weight shape (out × in) and bit width, one activation row (decode, fp16) times the weight:

* `fp16`       — `x @ W.T` with fp16 weights;
* `affine gG`  — `mx.quantized_matmul` (MLX's CUDA kernel), bits b, group G, fp16 scales and biases;
* `tq row/gG`  — `tq_gemv_cuda` on a pre-rotated activation (kernel only), one scale per row or per G;
* `tq layer`   — `TurboQuantLinear` as a model calls it: sign flip + Hadamard rotation of x, then the kernel.

Each variant is checked against fp32 `x @ Ŵ.T` of its own dequantized weights before timing. Timing: N
independent calls (distinct activation rows) are built as one lazy MLX graph, then evaluated at once; the GEMV
time per call is the evaluation wall time / N (kernels launched back to back, launch gaps included), median
of R repetitions. The host time to build each call's graph (Python + MLX op creation) is printed beside it. Bytes per call = the weight's stored bytes (codes + scales
[+ biases]) + activation in + output out; GB/s = bytes / time; % HBM against the card's peak (from its name:
H100 SXM/HBM3 3350 GB/s, H100 PCIe 2000, H200 4800) and against a measured device copy.

Caveat: every call reuses the same weights, so those that fit in the GPU's L2 (50 MB on H100) are read from L2, and a
launch gap of ~10-15 us per kernel is included; GB/s here is "per call as MLX runs it". For cold-cache kernel
times use `benchmarks/bench_tq_gemv_ncu.sh` (Nsight Compute).

Usage: python benchmarks/bench_tq_gemv.py [--shapes 4096x4096 14336x4096] [--bits 2 3 4] [--calls 200] [--reps 7] [--json out.json]
"""
import argparse, json, subprocess, time

PEAK_GBS = {'H100 80GB HBM3': 3350, 'H100 PCIe': 2000, 'H100 NVL': 3900, 'H200': 4800}

def gpu_name() -> str:
    try: return subprocess.run(['nvidia-smi', '--query-gpu=name', '--format=csv,noheader'], capture_output=True, text=True).stdout.strip()
    except Exception: return 'unknown'

def timed(mx, f, xs, reps):
    "(evaluation, graph building) median seconds per call of f over the rows of xs (queued, one eval per repetition)."
    mx.eval(f(xs[0]))
    mx.synchronize()
    ev, bd, n = [], [], xs.shape[0]
    for _ in range(reps):
        t0 = time.perf_counter()
        ys = [f(xs[i]) for i in range(n)]                 # host: Python + MLX graph building (lazy, nothing runs yet)
        t1 = time.perf_counter()
        mx.eval(ys)
        mx.synchronize()                     # device: the kernels, launched back to back
        t2 = time.perf_counter()
        bd.append((t1 - t0) / n)
        ev.append((t2 - t1) / n)
    return sorted(ev)[reps // 2], sorted(bd)[reps // 2]

def copy_gbs(mx, gb=2.0, reps=5):
    "Measured device bandwidth of an elementwise copy (bytes read + written)."
    a = mx.random.normal((int(gb * 2**30 / 4),))
    mx.eval(a)
    mx.eval(a + 1)
    mx.synchronize()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        mx.eval(a + 1)
        mx.synchronize()
        ts.append(time.perf_counter() - t)
    return 2 * a.nbytes / sorted(ts)[reps // 2] / 1e9

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--shapes', nargs='+', default=['4096x4096', '14336x4096'])
    ap.add_argument('--bits', nargs='+', type=int, default=[2, 3, 4])
    ap.add_argument('--calls', type=int, default=200)
    ap.add_argument('--reps', type=int, default=7)
    ap.add_argument('--json')
    a = ap.parse_args()
    from jang_research.backend import mx
    from jang_research.inventory import QuantSpec
    from jang_research.turboquant import tq_quantize, tq_gemv_cuda, TurboQuantLinear, rotate, cuda_available
    if not cuda_available(): raise SystemExit('needs MLX with a CUDA GPU (mlx-cuda); the fused kernel has no CPU/Metal version')
    name = gpu_name()
    peak = next((v for k, v in PEAK_GBS.items() if k in name), None)
    copy = copy_gbs(mx)
    print(f'device: {name}; nominal HBM {peak} GB/s; measured copy {copy:.0f} GB/s; mlx {mx.__version__}')
    rows = []
    print(f"{'shape':>11s} {'variant':14s} {'bits':>4s}  {'eval/call':>11s}  {'weights+io':>12s}  {'GB/s':>9s}  {'of HBM':>9s}  "
          f"{'of copy':>8s}  {'build/call':>10s}  rel.err")
    def report(shape, label, bits, secs, nbytes, err):
        sec, build = secs
        gbs = nbytes / sec / 1e9
        r = dict(shape=shape, variant=label, bits=bits, us=sec * 1e6, build_us=build * 1e6, bytes=nbytes, gbs=gbs,
                 pct_hbm=100 * gbs / peak if peak else None, pct_copy=100 * gbs / copy, rel_err=err)
        rows.append(r)
        print(f"{shape:>11s} {label:14s} {str(bits):>4s}  {sec*1e6:8.1f} us  {nbytes/2**20:8.2f} MiB  {gbs:7.0f} GB/s  "
              f"{r['pct_hbm'] or 0:6.1f}% HBM  {r['pct_copy']:5.1f}% copy  {build*1e6:7.1f} us  {err:.1e}", flush=True)
        return r
    for shp in a.shapes:
        out, n = map(int, shp.split('x'))
        mx.random.seed(0)
        W = (mx.random.normal((out, n)) * 0.02)
        xs = mx.random.normal((a.calls, 1, n)).astype(mx.float16)
        mx.eval(W, xs)
        io = (n + out) * 2
        def rel(y, ref): return (mx.linalg.norm(y.astype(mx.float32) - ref) / mx.linalg.norm(ref)).item()
        W16 = W.astype(mx.float16)
        ref = xs[0].astype(mx.float32) @ W16.astype(mx.float32).T
        report(shp, 'fp16', 16, timed(mx, lambda x: x @ W16.T, xs, a.reps), W16.nbytes + io, rel(xs[0] @ W16.T, ref))
        for bits in a.bits:
            res = {}
            for g in (64, 128):
                wq, s, b = mx.quantize(W, group_size=g, bits=bits)
                s, b = s.astype(mx.float16), b.astype(mx.float16)
                ref = xs[0].astype(mx.float32) @ mx.dequantize(wq, s, b, group_size=g, bits=bits).astype(mx.float32).T
                f = lambda x, wq=wq, s=s, b=b, g=g: mx.quantized_matmul(x, wq, s, b, transpose=True, group_size=g, bits=bits)
                res[f'affine g{g}'] = report(shp, f'affine g{g}', bits, timed(mx, f, xs, a.reps), wq.nbytes + s.nbytes + b.nbytes + io, rel(f(xs[0]), ref))
            for g in (0, 64):
                t = tq_quantize(W, QuantSpec(bits, g, 'tq'), seed=1)
                lin = TurboQuantLinear.from_tqtensor(t)
                xr = rotate(xs, t.signs, t.block)
                mx.eval(xr, t.codes, t.scales)
                Yh = t.dequantize_rotated()
                ref = xr[0].astype(mx.float32) @ Yh.T
                zero = mx.zeros((1,), mx.int32)
                codes, scales = t.codes[None], t.scales[None]
                f = lambda x, t=t, codes=codes, scales=scales: tq_gemv_cuda(x, zero, codes, scales, t.codebook, bits, g)
                label = 'tq row' if g == 0 else f'tq g{g}'
                res[label] = report(shp, label, bits, timed(mx, f, xr, a.reps), t.nbytes + io, rel(f(xr[0]), ref))
                if g == 0:
                    ref_l = xs[0].astype(mx.float32) @ t.dequantize().T
                    report(shp, 'tq row layer', bits, timed(mx, lin, xs, a.reps), t.nbytes + io, rel(lin(xs[0]), ref_l))
            ratio = res['affine g64']['us'] / res['tq row']['us']
            print(f"{shp:>11s} {bits}-bit: tq row kernel is {ratio:.2f}x the speed of affine g64 "
                  f"(tq g64 vs affine g128, equal bpw: {res['affine g128']['us'] / res['tq g64']['us']:.2f}x)", flush=True)
    if a.json:
        with open(a.json, 'w') as fh: json.dump(dict(device=name, nominal_gbs=peak, copy_gbs=copy, rows=rows), fh, indent=2)

if __name__ == '__main__':
    main()
