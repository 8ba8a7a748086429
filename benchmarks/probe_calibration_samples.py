"""GPTQ's calibration from the float model's own samples instead of the calibration text: held-out KL of one allocated plan.

The shipped table's plan at each --sizes target, quantized sequentially (jr.quantize's default) on --calib windows x tokens
of (a) the calibration text (Python docs; jr.quantize's calib_on='text') and (b) the float model continuing each text
window's first --prefix tokens with its own samples (temperature 1, seeded; calib_on='samples', jr.quantize's default
since these measurements), each scored on 16 x 128 held-out tokens (the Jargon File: neither calibration source).

Usage: python benchmarks/probe_calibration_samples.py [--model smollm2-135m-instruct] [--sizes 4.5 4.0] [--calib 16 256]
"""
import argparse, time

def heldout_line(m, size:float, plan, weights:dict, label:str, secs:float) -> str:
    "One printed row: the `size` bpw `plan` quantized to `weights`, scored on 16 x 128 held-out tokens (KL with its interval, top-1), and its quantizing seconds."
    import jang_research as jr
    r = jr.evaluate(m, jr.Quantized(m, plan, weights, {}), windows=16, window_len=128)
    kl = r['kl_mean']
    return (f"  @{size:g} ({r['bpw']:.3f} bpw) {label} held-out KL {kl['value']:.4f} [{kl['lo']:.4f}, {kl['hi']:.4f}]"
            f"  top-1 {r['top1']['value']:.3f}  ({secs:.0f} s)")

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--sizes', type=float, nargs='+', default=[4.5, 4.0])
    ap.add_argument('--calib', type=int, nargs=2, default=[16, 256], help='windows and tokens per window')
    ap.add_argument('--prefix', type=int, default=8, help='text tokens each sampled window starts with')
    ap.add_argument('--sources', nargs='+', default=['text', 'samples'], choices=['text', 'samples'])
    a = ap.parse_args()
    import jang_research as jr
    from jang_research.calibration import model_hessians
    from jang_research.methods import quantize_sequential
    from jang_research.tuning import calibration_windows
    m = jr.load(a.model)
    table = jr.sensitivity(m, progress=False)
    t0 = time.time()
    # the windows jr.quantize(calib_on=...) takes (the samples from the disk cache after a first run)
    windows = {src: calibration_windows(m.model, m.tokenizer, *a.calib, on=src, prefix=a.prefix, fingerprint=m.fingerprint) for src in a.sources}
    print(f"{m.name}: {a.calib[0]} x {a.calib[1]} calibration windows; made in {time.time() - t0:.0f} s", flush=True)
    for s in a.sizes:
        plan = jr.allocate(table, target_bpw=s)
        for src in a.sources:
            t0 = time.time()
            hs = model_hessians(m.model, m.tokenizer, m.fingerprint, windows=windows[src])   # the embedding's (outside the blocks) from the same windows
            weights = quantize_sequential(m.model, windows[src], plan, hs, tq_seed=0)
            print(heldout_line(m, s, plan, weights, f'calibration {src:<8}', time.time() - t0), flush=True)

if __name__ == '__main__': main()
