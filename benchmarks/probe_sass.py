"""Machine instructions a weight of the decode GEMVs, counted in their sm_90 code: the CUDA-core kernel (tq_gemv.cu) against
the tensor-core kernel (gemv_mma.cu), for affine and TurboQuant codes of each width. No GPU needed: each configuration is
wrapped as MLX wraps it (header, macros, then a __global__ function with the constants at its top), compiled by `nvcc -cubin`,
disassembled by `cuobjdump -sass`, and its instructions counted by opcode. With every loop unrolled (4096 inputs), the count
divided by the weights one thread handles is the kernel's instruction cost a weight — what bounds a decode GEMV once it runs
out of issue slots before memory bandwidth (we expected the CUDA-core kernel to; on the H100 the tensor-core kernel, at
half its instructions, was slower — see README, *Decode speed*, session 54). Registers from ptxas.

Needs `nvcc` and `cuobjdump` on PATH (cuobjdump also comes in the pip wheel nvidia-cuda-cuobjdump: pass --cuobjdump PATH).

Usage: python benchmarks/probe_sass.py [--cuobjdump /path/to/cuobjdump]
"""
import argparse, collections, re, shutil, subprocess, sys, tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))
import jang_research  # noqa: F401  (before mlx: the package picks the BLAS)
import mlx.core as mx
from jang_research.backend import kernel_source, kernel_constants, CUDA_TYPES
from jang_research.turboquant import gemv_constants, mma_launch

def compile_cubin(kernel_file:str, constants:dict, params:list, macros:str, directory:str) -> str:
    "Compile one configuration of a kernel file, wrapped as MLX wraps it, to `directory`/k.cubin; ptxas's report (-v)."
    header, body = kernel_source(kernel_file)
    src = '#include <cuda_fp16.h>\n#include <cuda_bf16.h>\n#include <cstdint>\n' + header + macros
    src += f'extern "C" __global__ void k({", ".join(params)}) {{\n{kernel_constants(constants)}{body}\n}}\n'
    (Path(directory) / 'k.cu').write_text(src)
    r = subprocess.run(['nvcc', '-arch=sm_90', '-std=c++17', '--expt-relaxed-constexpr', '-cubin', '-o', f'{directory}/k.cubin',
                        f'{directory}/k.cu', '-Xptxas', '-v'], capture_output=True, text=True)
    if r.returncode: raise SystemExit(r.stderr[-3000:])
    return r.stderr

def census(kernel_file:str, constants:dict, params:list, macros:str, cuobjdump:str) -> tuple:
    "(opcode counts, registers) of one configuration of a kernel file."
    with tempfile.TemporaryDirectory() as d:
        report = compile_cubin(kernel_file, constants, params, macros, d)
        sass = subprocess.run([cuobjdump, '-sass', f'{d}/k.cubin'], capture_output=True, text=True).stdout
    ops = collections.Counter()
    for line in sass.splitlines():
        m = re.match(r'\s+/\*[0-9a-f]+\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*)', line)
        if m and not m.group(1).startswith('NOP'): ops[m.group(1).split('.')[0]] += 1
    regs = re.search(r'Used (\d+) registers', report)
    return ops, int(regs.group(1)) if regs else 0

def params(affine:bool, dtype, fusions:str) -> list:
    "The kernel's parameters as MLX declares them (TurboQuant: fp16 scales, fp32 codebook)."
    T = CUDA_TYPES[dtype]
    return ([f'const {T}* x', 'const int32_t* experts', 'const uint32_t* codes', f'const {T if affine else "__half"}* scales',
             f'const {T}* aux' if affine else 'const float* aux'] + [f'const {T}* gamma'] * ('norm' in fusions) + [f'{T}* y'])

def macros(fusions:str) -> str:
    return (f"#define JANG_NORM {int('norm' in fusions)}\n#define JANG_RES 0\n#define JANG_SWIGLU {int('swiglu' in fusions)}\n"
            "#define JANG_PAIR 0\n#define JANG_EPS 1e-05f\n")

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--cuobjdump', default=shutil.which('cuobjdump'))
    a = ap.parse_args()
    if not shutil.which('nvcc') or not a.cuobjdump: raise SystemExit('needs nvcc and cuobjdump (--cuobjdump PATH)')
    n, dtype = 4096, mx.bfloat16
    cases = [(True, b, 64, '') for b in (2, 3, 4, 5, 6, 8)] + [(True, 4, 64, 'norm swiglu')] + [(False, b, 0, '') for b in (1, 2, 3, 4)]
    print(f"sm_90 code, {n} inputs, bf16 activations: instructions a weight (all of a thread's instructions / the weights it handles)")
    print(f"{'codes':>10s} {'group':>5s} {'fusions':>12s} | {'CUDA-core':>9s} {'regs':>4s} | {'tensor-core':>11s} {'regs':>4s} | {'fewer':>6s}  tensor-core's top opcodes")
    for affine, bits, group, fusions in cases:
        out = 28672 if 'swiglu' in fusions else 4096
        old, old_regs = census('tq_gemv.cu', dict(gemv_constants(affine, bits, n, out, group or n, 2, 1, dtype)), params(affine, dtype, fusions), macros(fusions), a.cuobjdump)
        old_per = sum(old.values()) / (n * 2 / 32)   # a lane: 2 rows (RPW) x n / 32 inputs
        constants, _ = mma_launch((1, n), dtype, (out, n * bits // 32), bits, group, affine=affine, swiglu='swiglu' in fusions)
        new, new_regs = census('gemv_mma.cu', dict(constants), params(affine, dtype, fusions), macros(fusions), a.cuobjdump)
        c = dict(constants)
        runs = -(-(n // (group or 64)) // c['WARPS'])
        new_per = sum(new.values()) / (runs * (group or 64) * 16 * c['MT'] / 32)   # a lane: its warp's runs x 16 MT rows / 32 lanes
        kind = f"{'affine' if affine else 'TurboQuant'} {bits}"
        top = ' '.join(f"{k}:{v}" for k, v in new.most_common(6))
        print(f"{kind:>12s} {group or 'row':>5} {fusions or '-':>12s} | {old_per:9.2f} {old_regs:4d} | {new_per:11.2f} {new_regs:4d} | {old_per / new_per:5.2f}x  {top}", flush=True)

if __name__ == '__main__': main()
