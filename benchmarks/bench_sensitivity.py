"""Wall time of a full sensitivity sweep, from an empty sweep cache.

Every quantizable tensor × RTN 2/3/4/5/6/8-bit at group 64: bytes and proxy error for all options,
measured ΔKL (4×128 calibration-text windows, replaying only the blocks after the tensor) for the
reference option 3-bit of every tensor; the other options are predicted (gain × proxy). Prints the
sweep time next to the measured cost of one ΔKL and what measuring every option would take. The
prepared model, its Hessians and reference caches are reused (linked into a fresh cache folder), so
only the sweep is timed.

Usage: python benchmarks/bench_sensitivity.py [--model smollm2-135m-instruct] [--windows 4] [--window-len 128]
"""
import argparse, os, tempfile, time
from pathlib import Path

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--windows', type=int, default=4)
    ap.add_argument('--window-len', type=int, default=128)
    a = ap.parse_args()
    real = Path(os.environ.get('JANG_CACHE') or Path(os.environ.get('XDG_CACHE_HOME', Path.home()/'.cache'))/'jang_research')
    tmp = Path(tempfile.mkdtemp(prefix='jang-sweep-'))
    for sub in ('models', 'hessians', 'reference'):          # reuse everything but the sweep cache
        if (real/sub).exists(): (tmp/sub).symlink_to(real/sub)
    os.environ['JANG_CACHE'] = str(tmp)
    from jang_research.backend import device_name
    from jang_research.models import load_model, model_path, model_fingerprint
    from jang_research.calibration import model_hessians
    from jang_research.sweep import sensitivity_sweep
    src = model_path(a.model)
    model, tok = load_model(src)
    fp = model_fingerprint(src)
    hs = model_hessians(model, tok, fp, 16, 256)
    t = time.time()
    tab = sensitivity_sweep(model, tok, fp, hs, n_windows=a.windows, window_len=a.window_len, progress=False)
    total = time.time() - t
    n_t, n_o = len(tab.paths), len(tab.labels(tab.paths[0]))
    per = total / n_t    # upper bound per measured ΔKL: proxies are included
    print(f"{a.model} on {device_name()}: full sweep of {n_t} tensors × {n_o} options "
          f"(measured ΔKL for {tab.meta['measured_now']}, predicted for the rest) in {total:.0f} s = {total/60:.1f} min")
    print(f"  ≤ {per:.2f} s per tensor; measuring every option would take ≈ {per * n_t * n_o / 60:.0f} min")

if __name__ == '__main__':
    main()
