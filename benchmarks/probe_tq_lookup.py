"""TurboQuant codes turned into codebook values the way a layer does it without the CUDA kernel (CPU, Metal), side by side
in one run: `codebook[unpack_codes(...)]` (a shift and a mask per code position, the path before session 40) against
`lookup_codes` with bytes (a 12-bit unit at 3 bits) looked up in a table of every unit's levels built on each call (the
path of session 40), and with 16-bit units in a table built once (`code_table(..., width=16)`, what a layer holds since
session 41; at 3 bits the 12-bit table, built once). Milliseconds a tensor (median of --repeats) and whether all three give
the same values bit for bit.

Usage: python benchmarks/probe_tq_lookup.py [--shapes 1536x576 576x1536 14336x4096] [--bits 1 2 3 4] [--repeats 9]
"""
import argparse, statistics, time

def median_ms(f, repeats:int) -> float:
    "Milliseconds of one evaluated call of f, the median of `repeats` after one warm-up call."
    from jang_research.backend import mx
    mx.eval(f())
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        mx.eval(f())
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--shapes', nargs='+', default=['1536x576', '576x1536', '14336x4096'], help='out x in')
    ap.add_argument('--bits', type=int, nargs='+', default=[1, 2, 3, 4])
    ap.add_argument('--repeats', type=int, default=9)
    a = ap.parse_args()
    import jang_research  # noqa: F401  (preloads the BLAS before MLX)
    from jang_research.backend import mx
    from jang_research.affine import pack_codes, unpack_codes
    from jang_research.turboquant import lookup_codes, lloyd_max_codebook, code_table

    print(f"on {mx.default_device()}; median of {a.repeats} calls")
    print(f"{'out x in':>12} {'bits':>4} {'shifts ms':>10} {'bytes ms':>10} {'speed-up':>9} {'16-bit ms':>10} {'speed-up':>9}  same")
    for shape in a.shapes:
        out, n = (int(v) for v in shape.split('x'))
        for bits in a.bits:
            q = mx.random.randint(0, 2**bits, (out, n), key=mx.random.key(bits)).astype(mx.uint32)
            words = pack_codes(q, bits)
            codebook = mx.array(lloyd_max_codebook(n, bits))
            del q
            mx.eval(words, codebook)
            table = code_table(codebook, bits, width=12 if bits == 3 else 16)
            mx.eval(table)
            shifts = lambda: codebook[unpack_codes(words, bits, n)]
            lookup = lambda: lookup_codes(words, codebook, bits, n)
            wide = lambda: lookup_codes(words, codebook, bits, n, table=table)
            same = mx.array_equal(shifts(), lookup()).item() and mx.array_equal(shifts(), wide()).item()
            t_shift, t_lookup, t_wide = (median_ms(f, a.repeats) for f in (shifts, lookup, wide))
            print(f"{shape:>12} {bits:>4} {t_shift:>10.2f} {t_lookup:>10.2f} {t_shift / t_lookup:>8.2f}x {t_wide:>10.2f} {t_shift / t_wide:>8.2f}x  {same}")

if __name__ == '__main__': main()
