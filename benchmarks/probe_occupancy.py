"""How many warps of each decode GEMV an H100 SM holds at once, from the kernels' sm_90 code: no GPU needed.

A decode GEMV is latency-bound: its bandwidth is the bytes its resident warps have requested and not yet received, over
the memory latency. Two things cap the warps an SM holds: the registers a thread uses (ptxas; 64 K registers an SM,
allocated 8 a thread at a time, at most 64 warps and 32 blocks an SM) and the grid itself — a layer of few rows gives
fewer warps than the SM could hold (132 SMs). For each product of a Llama-3.1-8B decode step (q/k/v merged, o, gate/up
paired, down) and each affine width, this prints for the CUDA-core kernel (tq_gemv.cu, its rows-per-warp choices) and the
tensor-core kernel (gemv_mma.cu, its launch choices): registers, shared memory, warps an SM can hold, warps the grid
gives an SM, the resident warps (the smaller), and the code bytes each resident warp requests before its first multiply.

Each configuration is wrapped as MLX wraps it (header, macros, then a __global__ function with its constants at the top)
and compiled by `nvcc -cubin -Xptxas -v`. Needs nvcc on PATH.

Usage: python benchmarks/probe_occupancy.py [--bits 3 4 5 6 8] [--rows-per-warp 1 2 4]
"""
import argparse, math, re, shutil, sys, tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))
import jang_research  # noqa: F401  (before mlx: the package picks the BLAS)
import mlx.core as mx
from jang_research.turboquant import gemv_constants, mma_launch
from probe_sass import compile_cubin, params, macros   # MLX's wrapping of a kernel configuration, compiled by nvcc

SMS, REGS, MAX_WARPS, MAX_BLOCKS, SMEM = 132, 65536, 64, 32, 228 * 1024   # an H100 SXM's SMs and an SM's limits
SHAPES = {'qkv': (6144, 4096), 'o': (4096, 4096), 'gate/up': (28672, 4096), 'down': (4096, 14336)}   # (rows, inputs) at 8B

def compiled(kernel_file:str, constants:dict, dtype) -> tuple:
    "(registers a thread, static shared bytes a block) of one configuration of a decode GEMV kernel file (affine codes, no fusions)."
    with tempfile.TemporaryDirectory() as d:
        report = compile_cubin(kernel_file, constants, params(True, dtype, ''), macros(''), d)
    regs = re.search(r'Used (\d+) registers', report)
    smem = re.search(r'(\d+) bytes smem', report)
    return int(regs.group(1)), int(smem.group(1)) if smem else 0

def resident(regs:int, smem:int, threads:int, blocks:int) -> tuple:
    "(warps an SM can hold, warps resident on an SM on average) of a launch of `blocks` blocks of `threads` threads."
    warps = threads // 32
    by_regs = REGS // (math.ceil(regs / 8) * 8 * threads)
    by_smem = SMEM // (smem + 1024) if smem else MAX_BLOCKS   # the driver reserves 1 KB a block
    fits = min(MAX_BLOCKS, MAX_WARPS // warps, by_regs, by_smem) * warps
    return fits, min(fits, blocks * warps / SMS)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--bits', type=int, nargs='+', default=[3, 4, 5, 6, 8])
    ap.add_argument('--rows-per-warp', type=int, nargs='+', default=[1, 2, 4])
    ap.add_argument('--group', type=int, default=64)
    a = ap.parse_args()
    if not shutil.which('nvcc'): raise SystemExit('needs nvcc on PATH')
    dtype = mx.bfloat16
    print(f"sm_90, bf16 activations, affine codes in groups of {a.group}, one activation row; an H100 SM holds at most {MAX_WARPS} warps")
    print("resident = min(warps the registers allow, warps the grid gives an SM on average); bytes = code bytes a resident warp requests at once")
    print(f"{'product':>8s} {'rows x in':>12s} {'bits':>4s} {'kernel':>22s} {'regs':>4s} {'smem':>5s} {'fits':>4s} {'grid/SM':>7s} {'resident':>8s} {'bytes':>6s}")
    for name, (out, n) in SHAPES.items():
        for bits in a.bits:
            for rpw in a.rows_per_warp:
                c = dict(gemv_constants(True, bits, n, out, a.group, rpw, 1, dtype))
                regs, smem = compiled('tq_gemv.cu', c, dtype)
                warps_block = 8
                blocks = -(-out // (warps_block * rpw))
                fits, res = resident(regs, smem, warps_block * 32, blocks)
                # a warp's first loads: CH lane steps of its rows (tq_gemv.cu's CH), 32 lanes, UW words a step
                words_step = in_flight_words(bits, n, a.group, rpw)
                print(f"{name:>8s} {f'{out}x{n}':>12s} {bits:4d} {f'CUDA-core 8w x {rpw} rows':>22s} {regs:4d} {smem:5d} {fits:4d} "
                      f"{blocks * warps_block / SMS:7.1f} {res:8.1f} {words_step * 4 * 32:6d}", flush=True)
            for warps, tiles in ((None, None), (4, 1), (8, 1)):
                constants, launch = mma_launch((1, n), dtype, (out, n * bits // 32), bits, a.group, warps=warps, tiles=tiles)
                c = dict(constants)
                regs, smem = compiled('gemv_mma.cu', c, dtype)
                threads = launch['threadgroup'][0]
                blocks = launch['grid'][0] // threads
                fits, res = resident(regs, smem, threads, blocks)
                # a warp's first loads: CHG runs x MT tiles x 16 rows x the run's code bytes
                runs = n // a.group
                chg = min(4, -(-runs // c['WARPS']))
                nbytes = chg * c['MT'] * 16 * a.group * bits // 8
                label = f"tensor-core {c['WARPS']}w x {c['MT']}t" + (' (default)' if warps is None else '')
                print(f"{name:>8s} {f'{out}x{n}':>12s} {bits:4d} {label:>22s} {regs:4d} {smem:5d} {fits:4d} {blocks * c['WARPS'] / SMS:7.1f} "
                      f"{res:8.1f} {nbytes:6d}", flush=True)

def in_flight_words(bits:int, n:int, group:int, rpw:int) -> int:
    "Code words a lane of tq_gemv.cu requests before its first multiply: CH lane steps x RPW rows x UW words (the kernel's constants, recomputed)."
    G = math.gcd(32, bits)
    cpp, wpp = 32 // G, bits // G
    npp, words = n // cpp, n * bits // 32
    up = 4 if words % 4 == 0 and npp % 4 == 0 else 1
    uw, steps = up * wpp, -(-(npp // up) // 32)
    sub = up if up * cpp <= group else (2 if up % 2 == 0 and 2 * cpp <= group else 1)
    sps = 2 * (up // sub)
    chw = min(8, max(1, 192 // (rpw * (uw + sps))))
    return min(steps, chw) * rpw * uw

if __name__ == '__main__': main()
