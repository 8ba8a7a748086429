"""What sharing the static grid of a tensor's 'mse' and 'gptq' options saves a sweep, side by side in one run.

GPTQ's static grid is the Hessian-diagonal-weighted MSE fit, the very fit the 'mse' option of the same bits and group makes.
A sweep now makes it once (mse_method leaves it in `grids`, gptq_method takes it; grid_twins_adjacent puts the two options
next to each other). For one SmolLM2 block and every option of the shipped table's 62 (RTN, MSE, GPTQ at 2/3/4/5/6/8 bits x
groups 32/64/128, TurboQuant with and without GPTQ feedback at 1-4 bits), this times each method's proxies with their own
grids and with shared ones (twice each, alternating), and checks that every row's proxy is the same.

Usage: python benchmarks/probe_sweep_grids.py [--layer 3]
"""
import argparse, time

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--layer', type=int, default=3, help='the block whose tensors are swept')
    a = ap.parse_args()
    import jang_research  # noqa: F401  (OpenBLAS on Linux CPUs)
    from jang_research.backend import mx
    from jang_research.models import load_model, model_path, model_fingerprint
    from jang_research.calibration import model_hessians
    from jang_research.sweep import option_specs, sweep_row, grid_twins_adjacent
    from jang_research.inventory import inventory
    from jang_research.methods import float_weights
    model, tok = load_model('smollm2-135m-instruct')
    hs = model_hessians(model, tok, model_fingerprint(model_path('smollm2-135m-instruct')), n_windows=16, window_len=256)
    inv = [t for t in inventory(model) if t.layer == a.layer]
    fw = float_weights(model, inv)
    pairs = [(t, s) for t in inv for s in option_specs(methods=('rtn', 'mse', 'gptq', 'tq', 'tq_gptq'), group_sizes=(32, 64, 128))]
    print(f'SmolLM2-135M block {a.layer}: {len(inv)} tensors x {len(pairs) // len(inv)} options, MLX on {mx.default_device()}')
    proxies = {}
    for shared in (False, True, False, True):
        seconds, grids, rows = {}, {} if shared else None, {}
        for t, s in (grid_twins_adjacent(pairs) if shared else pairs):
            t0 = time.perf_counter()
            r, w_hat = sweep_row(t, s, fw[t.path], hs, grids=grids)
            mx.eval(w_hat)
            seconds[s.method] = seconds.get(s.method, 0) + time.perf_counter() - t0
            rows[(t.path, s.label())] = r['proxy']
        proxies.setdefault(shared, rows)
        print(f"{'shared grids' if shared else 'own grids   '}  " + '  '.join(f'{m} {v:5.1f} s' for m, v in seconds.items()) +
              f'   block {sum(seconds.values()):5.1f} s', flush=True)
    same = sum(proxies[False][k] == proxies[True][k] for k in proxies[False])
    print(f'rows with the same proxy: {same} of {len(proxies[False])}')

if __name__ == '__main__': main()
