"""Does refitting GPTQ's scales and biases help off the calibration text? For 8 random attention/MLP tensors of SmolLM2 at
3 and 4 bits (g64): GPTQ's codes kept, each row's scales and biases refitted by least squares to minimise
(w - ŵ) H (w - ŵ)ᵀ on the calibration Hessian (stored in fp16 as GPTQ's are); printed: the calibration error
tr(ΔW H ΔWᵀ) and the output error on held-out text ||X ΔWᵀ||², before and after.

Usage: python benchmarks/probe_gptq_refit.py
"""
import time
import numpy as np
import jang_research  # noqa: F401  (before mlx: preloads OpenBLAS)
from jang_research.backend import mx
from jang_research.models import load_model, model_fingerprint, model_path
from jang_research.calibration import model_hessians, heldout_inputs
from jang_research.inventory import inventory, QuantSpec
from jang_research.methods import float_weights
from jang_research.gptq import gptq_quantize
t0 = time.time()
model, tok = load_model()
inv = inventory(model)
hs = model_hessians(model, tok, model_fingerprint(model_path("smollm2-135m-instruct")), n_windows=16, window_len=256)
W = float_weights(model, inv)
paths = [t.path for t in inv if t.role in ('attention', 'mlp')]
rng = np.random.default_rng(0)
pick = sorted(rng.choice(len(paths), 8, replace=False))
paths = [paths[i] for i in pick]
X = heldout_inputs(model, tok, paths, n_windows=4, window_len=256)
print('setup', round(time.time() - t0), 's', flush=True)

def refit(w, q, gs, H):
    "Least-squares scales and biases per group for fixed codes q, minimising (w - ŵ) H (w - ŵ)ᵀ row by row."
    out, n = w.shape
    G = n // gs
    B = np.kron(np.eye(G), np.ones((gs, 1)))          # (n, G) group indicator
    s_new, b_new = np.empty((out, G)), np.empty((out, G))
    HB = H @ B
    BHB = B.T @ HB
    for r in range(out):
        Q = q[r][:, None] * B                           # (n, G)
        HQ = H @ Q
        M = np.block([[Q.T @ HQ, Q.T @ HB], [HB.T @ Q, BHB]])
        rhs = np.concatenate([HQ.T @ w[r], HB.T @ w[r]])
        theta = np.linalg.solve(M + 1e-12 * np.trace(M) / len(M) * np.eye(len(M)), rhs)
        s_new[r], b_new[r] = theta[:G], theta[G:]
    return s_new, b_new

for p in paths:
    w = np.array(W[p].astype(mx.float32), np.float64)
    H = np.array(hs.H[p].astype(mx.float32), np.float64)
    Xh = np.array(X[p].astype(mx.float32), np.float64)
    for bits in (3, 4):
        spec = QuantSpec(bits, 64, 'gptq', 'float16')
        t = gptq_quantize(W[p], spec, hs.H[p])
        wq = np.array(t.dequantize().astype(mx.float32), np.float64)
        s, b = (np.array(a.astype(mx.float32), np.float64) for a in (t.scales, t.biases))
        q = np.round((wq - np.repeat(b, 64, 1)) / np.repeat(s, 64, 1))   # GPTQ's codes back from its dequantized weights
        s2, b2 = refit(w, q, 64, H)
        s2, b2 = (a.astype(np.float16).astype(np.float64) for a in (s2, b2))
        w2 = q * np.repeat(s2, 64, 1) + np.repeat(b2, 64, 1)
        def herr(v): return float(np.einsum('ij,jk,ik->', w - v, H, w - v))
        def xerr(v): return float(np.linalg.norm(Xh @ (w - v).T) ** 2)
        print(f"{p:40s} {bits}-bit used={t.meta['method_used']:4s} calib h_err {herr(wq):.4g} -> {herr(w2):.4g} ({herr(w2)/herr(wq):.3f}); held-out out err {xerr(wq):.4g} -> {xerr(w2):.4g} ({xerr(w2)/xerr(wq):.3f})", flush=True)
