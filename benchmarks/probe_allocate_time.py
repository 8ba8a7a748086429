"""How long an allocation from the shipped SmolLM2 table takes: the table read (jr.sensitivity finds the shipped all-method
table by the weights' fingerprint) and the exact allocator at 2.5, 3.0 and 4.5 bpw, twice each.

Usage: python benchmarks/probe_allocate_time.py [--model smollm2-135m-instruct]
"""
import argparse, time

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--model', default='smollm2-135m-instruct')
    a = ap.parse_args()
    import jang_research as jr
    m = jr.load(a.model)
    for rep in range(2):
        t0 = time.perf_counter()
        table = jr.sensitivity(m, progress=False)
        t1 = time.perf_counter()
        for bpw in (2.5, 3.0, 4.5):
            t2 = time.perf_counter()
            plan = jr.allocate(table, target_bpw=bpw)
            print(f'run {rep + 1}: table {t1 - t0:.2f} s ({table.meta.get("shipped", "swept")}, {len(table.rows)} rows), '
                  f'allocate at {bpw} bpw {time.perf_counter() - t2:.2f} s -> {plan.meta["bpw"]:.3f} bpw', flush=True)

if __name__ == '__main__': main()
