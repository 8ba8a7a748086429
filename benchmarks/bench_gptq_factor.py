"""Where GPTQ's factor of H⁻¹ is computed: float64 LAPACK on the host vs fp32 blocked on the device, side by side.

For each width n: a Hessian H = 2·XᵀX/T of correlated activations (T = 2n tokens of a low-rank signal plus noise, a few
dead channels), the factor computed both ways (wall time, max |U_device - U_host| / max |U_host|), then GPTQ 4-bit g64
of a random (--rows, n) weight with each factor: tr(ΔW H ΔWᵀ) of both (the error that matters) and the codes that differ.
The device factor is timed at every --panels width and every --diag place of its panels' diagonal blocks ('host': float64
LAPACK, a round trip to the host a panel, its work growing as panel³; 'device': the chol_block.cu kernel, CUDA only); the
error columns are those of the first panel and place. Each time is the second call of its configuration.

Usage: python benchmarks/bench_gptq_factor.py [--widths 2048 4096 14336] [--rows 4096] [--panels 128 256 512]
           [--diag host device] [--json out.json]
"""
import argparse, json, time

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--widths', type=int, nargs='+', default=[2048, 4096, 14336])
    ap.add_argument('--rows', type=int, default=4096)
    ap.add_argument('--panels', type=int, nargs='+', default=[128, 256, 512])
    ap.add_argument('--diag', nargs='+', default=['host'], choices=['host', 'device'])
    ap.add_argument('--json')
    a = ap.parse_args()
    import numpy as np
    import jang_research  # noqa: F401  (first: the system BLAS is preloaded before mlx.core)
    from jang_research.backend import mx
    from jang_research.gptq import set_gptq_factor, hessian_factor, gptq_codes, hessian_error, clear_factors
    from jang_research.affine import qtensor_from_codes
    from jang_research.inventory import QuantSpec
    print(f"MLX default device {mx.default_device()}; GPTQ 4-bit g64, damp 0.3, act-order", flush=True)
    configs = [(p, d) for p in a.panels for d in a.diag]
    panels = ' '.join(f"{f'p{p} {d}':>11}" for p, d in configs)
    print(f"{'n':>6} {'host s':>8} {panels} {'max rel dU':>11} {'h_err host':>12} {'h_err device':>13} {'dev/host':>9} {'codes differ':>13}")
    rows = []
    for n in a.widths:
        mx.random.seed(n)
        X = mx.random.normal((2 * n, 64)) @ mx.random.normal((64, n)) * 0.3 + mx.random.normal((2 * n, n))
        X = X * mx.where(mx.arange(n) % 997 == 5, 0.0, 1.0)          # dead channels
        H = 2 * (X.T @ X) / X.shape[0]
        W = mx.random.normal((a.rows, n)) * 0.02
        mx.eval(H, W)
        del X
        out, device_s = {}, {}
        for where, (panel, diag) in [('host', (None, None))] + [('device', c) for c in reversed(configs)]:   # the first config last: its codes are compared
            set_gptq_factor(where, panel, diag=diag)
            clear_factors()
            mx.eval(hessian_factor(H, 0.3, True)[3])   # a warm-up call: MLX's first use of new shapes is not timed
            clear_factors()
            t = time.perf_counter()
            U = hessian_factor(H, 0.3, True)[3]
            mx.eval(U)
            secs = time.perf_counter() - t
            if panel is not None: device_s[panel, diag] = round(secs, 3)
            q, s, b, _, _ = gptq_codes(W, H, 4, 64)
            w_hat = qtensor_from_codes(q, s, b, QuantSpec(4, 64)).dequantize()
            out[where] = dict(seconds=secs, U=np.array(U), q=np.array(q), h_err=hessian_error(W, w_hat, H))
        set_gptq_factor('auto', a.panels[0], diag='auto')
        clear_factors()
        h, d = out['host'], out['device']
        row = dict(n=n, rows=a.rows, host_s=round(h['seconds'], 3), device_s={f'{p} {d}': device_s[p, d] for p, d in configs}, panel=a.panels[0], diag=a.diag[0],
                   max_rel_dU=float(np.abs(d['U'] - h['U']).max() / np.abs(h['U']).max()),
                   h_err_host=h['h_err'], h_err_device=d['h_err'], codes_differ=float((d['q'] != h['q']).mean()))
        rows.append(row)
        times = ' '.join(f'{device_s[c]:>11.3f}' for c in configs)
        print(f"{n:>6} {row['host_s']:>8.2f} {times} {row['max_rel_dU']:>11.2e} {row['h_err_host']:>12.4f} "
              f"{row['h_err_device']:>13.4f} {row['h_err_device'] / row['h_err_host']:>9.5f} {row['codes_differ']:>12.3%}", flush=True)
        if a.json: open(a.json, 'w').write(json.dumps(dict(device=str(mx.default_device()), rows=rows), indent=1))

if __name__ == '__main__': main()
