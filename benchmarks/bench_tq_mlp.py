"""End-to-end KL / PPL with every MLP tensor quantized (rest float): TurboQuant vs affine at equal effective bpw,
without and with calibration Hessians (GPTQ for affine, GPTQ feedback in the rotated basis for TurboQuant).

Fake-quant fp32 on held-out windows (KL to the float model). Calibration: the package's calibration text
(never the held-out text), Hessians cached on disk.

Usage: python benchmarks/bench_tq_mlp.py [--model smollm2-135m-instruct] [--bits 3] [--windows 8] [--calib-windows 8 --calib-len 256]
"""
import argparse, time

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--bits', type=int, nargs='+', default=[3])
    ap.add_argument('--windows', type=int, default=8)
    ap.add_argument('--calib-windows', type=int, default=8)
    ap.add_argument('--calib-len', type=int, default=256)
    a = ap.parse_args()
    from jang_research.backend import blas_info
    from jang_research.models import load_model, model_fingerprint, model_path
    from jang_research.evaluation import Evaluator
    from jang_research.calibration import model_hessians
    from jang_research.inventory import inventory, QuantSpec, Plan, tensor_bytes
    from jang_research.methods import float_weights, quantize_weights, dequantized
    m, tok = load_model(a.model)
    inv = inventory(m)
    fp = model_fingerprint(model_path(a.model))
    mlp = [t for t in inv if t.role in ('mlp', 'expert', 'shared_expert')]
    fw = float_weights(m, mlp)
    hs = model_hessians(m, tok, fp, a.calib_windows, a.calib_len)
    ev = Evaluator(m, tok, fp, n_windows=a.windows, window_len=128)
    print(f"{a.model}: {len(mlp)} MLP tensors quantized, rest float; {a.windows} x 128 held-out tokens; blas {blas_info()['blas']}")
    print(f"{'spec':>16s} {'MLP bpw':>8s} {'KL mean [95% CI]':>26s} {'PPL':>8s} {'quantize s':>10s}")
    for b in a.bits:
        for spec in (QuantSpec(b, 64), QuantSpec(b, 64, 'gptq'), QuantSpec(b, 32, 'tq'), QuantSpec(b, 32, 'tq_gptq')):
            t0 = time.time()
            qw = quantize_weights(fw, Plan({t.path: spec for t in mlp}), hessians=hs)
            secs = time.time() - t0
            s = ev.evaluate(dequantized(qw)).summary(n_boot=200)
            bpw = sum(tensor_bytes(t.shape, spec) for t in mlp) * 8 / sum(t.n_params for t in mlp)
            print(f"{spec.label():>16s} {bpw:8.3f}   {s['kl_mean'].value:.4f} [{s['kl_mean'].lo:.4f}, {s['kl_mean'].hi:.4f}] {s['ppl'].value:8.2f} {secs:10.1f}", flush=True)

if __name__ == '__main__':
    main()
