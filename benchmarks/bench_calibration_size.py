"""One allocated plan quantized with calibration sets of two sizes: held-out KL and quantizing time.

The shipped table's plan at --target-bpw, quantized sequentially (jr.quantize's default) with --calib windows x tokens
each (default 16 x 256, jr.quantize's default, and 64 x 512), each scored on 16 x 128 held-out tokens. Run the sizes as
separate processes to use both cores: `--calib 16 256` in one, `--calib 64 512` in the other.

Usage: python benchmarks/bench_calibration_size.py [--model smollm2-135m-instruct] [--target-bpw 4.0] [--calib 16 256 64 512]
"""
import argparse, time

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--target-bpw', type=float, default=4.0)
    ap.add_argument('--calib', type=int, nargs='+', default=[16, 256, 64, 512], help='pairs of windows and tokens per window')
    a = ap.parse_args()
    import jang_research as jr
    m = jr.load(a.model)
    plan = jr.allocate(jr.sensitivity(m, progress=False), target_bpw=a.target_bpw)
    for windows, tokens in zip(a.calib[::2], a.calib[1::2]):
        t0 = time.time()
        q = jr.quantize(m, plan, calib_windows=windows, calib_len=tokens, progress=False)
        secs = time.time() - t0
        r = jr.evaluate(m, q, windows=16, window_len=128)
        kl = r['kl_mean']
        print(f"{m.name} @{a.target_bpw:g} ({r['bpw']:.3f} bpw), calibration {windows} x {tokens}: held-out KL {kl['value']:.4f} "
              f"[{kl['lo']:.4f}, {kl['hi']:.4f}], top-1 {r['top1']['value']:.3f}; quantized in {secs:.0f} s", flush=True)

if __name__ == '__main__': main()
