"""Where the device factor of H⁻¹ spends its time, and what factoring a stack of Hessians together saves.

For each width n (one Hessian of correlated activations): the wall time of gptq.device_chol_inverse_upper at --panel, and
how much of it NumPy's float64 work on the panels' diagonal blocks takes (np.linalg.cholesky and np.linalg.inv timed
where the factor calls them); the rest is the device's matmuls, the copies and the waits for them. Then for each
--stacks shape E x n: the E factors one at a time (hessian_factor of each expert_hessian) against expert_factors (one
blocked factor over the stack), with the largest difference of the factors. Each time is the second call.

Usage: python benchmarks/probe_factor_steps.py [--widths 2048 4096 14336] [--panel 256] [--stacks 3x4096 128x768 128x2048]
"""
import argparse, time
import numpy as np

class HostClock:
    "Wraps np.linalg.cholesky and np.linalg.inv: seconds and calls spent in them while active."
    def __init__(self): self.seconds, self.calls, self.saved = 0.0, 0, {}
    def __enter__(self):
        for name in ('cholesky', 'inv'):
            f = self.saved[name] = getattr(np.linalg, name)
            def timed(*args, _f=f, **kw):
                t = time.perf_counter()
                try: return _f(*args, **kw)
                finally: self.seconds, self.calls = self.seconds + time.perf_counter() - t, self.calls + 1
            setattr(np.linalg, name, timed)
        return self
    def __exit__(self, *exc):
        for name, f in self.saved.items(): setattr(np.linalg, name, f)

def hessian(n:int, key, experts:int=0):
    "H = XᵀX/T of 2n tokens of a low-rank signal plus noise (a stack of `experts` when given), float32, made on MLX's default device."
    from jang_research.backend import mx
    def one(k):
        k1, k2, k3 = mx.random.split(k, 3)
        X = mx.random.normal((2 * n, n // 8), key=k1) @ mx.random.normal((n // 8, n), key=k2) + 0.1 * mx.random.normal((2 * n, n), key=k3)
        H = X.T @ X / X.shape[0]
        mx.eval(H)
        return H
    return mx.stack([one(k) for k in mx.random.split(key, experts)]) if experts else one(key)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--widths', type=int, nargs='+', default=[2048, 4096, 14336])
    ap.add_argument('--panel', type=int, default=256)
    ap.add_argument('--stacks', nargs='+', default=['3x4096', '128x768', '128x2048'])
    a = ap.parse_args()
    import jang_research  # noqa: F401  (first: the system BLAS is preloaded before mlx.core)
    from jang_research.backend import mx
    from jang_research.gptq import set_gptq_factor, device_chol_inverse_upper, hessian_factor, expert_hessian, expert_factors, clear_factors
    set_gptq_factor('device', panel=a.panel)
    key = mx.random.key(0)
    print(f"MLX default device {mx.default_device()}; device factor, panels of {a.panel}")
    print(f"{'n':>6} {'panels':>6} {'factor s':>9} {'host f64 s':>10} {'host calls':>10} {'rest s':>7} {'rest / panel ms':>15}")
    for n in a.widths:
        H = hessian(n, key)
        hd, order = np.array(mx.diagonal(H)).astype(np.float64), np.arange(n)
        mx.eval(device_chol_inverse_upper(H, hd, order, 0.01, panel=a.panel)[0])   # first call: compiles, allocates
        with HostClock() as clock:
            t = time.perf_counter()
            mx.eval(device_chol_inverse_upper(H, hd, order, 0.01, panel=a.panel)[0])
            total = time.perf_counter() - t
        panels = -(-n // a.panel)
        print(f"{n:6d} {panels:6d} {total:9.3f} {clock.seconds:10.3f} {clock.calls:10d} {total - clock.seconds:7.3f} {(total - clock.seconds) / panels * 1e3:15.2f}", flush=True)
    print(f"{'stack':>10} {'one at a time s':>15} {'together s':>10} {'speed-up':>8} {'max rel. dU':>11}")
    for shape in a.stacks:
        E, n = map(int, shape.split('x'))
        Hs = hessian(n, key, E)
        times = {}
        for way in ('alone', 'together', 'alone', 'together'):   # the second of each is timed
            clear_factors()
            t = time.perf_counter()
            fs = [hessian_factor(expert_hessian(Hs, e), 0.3, True) for e in range(E)] if way == 'alone' else expert_factors(Hs, range(E), 0.3, True)
            mx.eval([f[3] for f in fs])
            times[way] = (time.perf_counter() - t, fs)
        (ta, fa), (tt, ft) = times['alone'], times['together']
        du = max(float(mx.abs(x[3] - y[3]).max().item() / mx.abs(x[3]).max().item()) for x, y in zip(fa, ft))
        print(f"{shape:>10} {ta:15.3f} {tt:10.3f} {ta / tt:7.2f}x {du:11.2e}", flush=True)
    clear_factors()

if __name__ == '__main__': main()
