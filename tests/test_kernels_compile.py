"""Every CUDA kernel the package ships compiles (nvcc, sm_90) for the configurations the package launches — on any machine
with nvcc, GPU or not. The GPU tests run the kernels; this catches a kernel that would not build before any GPU time is spent.
The kernels are wrapped as MLX's `mx.fast.cuda_kernel` wraps them: the header, then a __global__ function with one pointer
a named input and output, its constants declared at the top of the body (as `backend.constant_kernel` does)."""
import shutil, subprocess, sys
import pytest
import jang_research  # noqa: F401  (before mlx)
import mlx.core as mx
from jang_research.backend import kernel_source, kernel_constants, CUDA_TYPES
from jang_research.inventory import AFFINE_BITS, TQ_BITS
from jang_research.turboquant import gemv_constants

NVCC = shutil.which('nvcc')
pytestmark = pytest.mark.skipif(NVCC is None, reason='no nvcc on this machine')
F32, BF16, F16 = mx.float32, mx.bfloat16, mx.float16

def wrapped(name:str, index:int, inputs:list, outputs:list, constants:dict) -> str:
    "One configuration of kernel file `name` as a __global__ function k<index>: inputs and outputs are (name, dtype) pairs."
    _, body = kernel_source(name)
    params = [f'const {CUDA_TYPES.get(t, t)}* {n}' for n, t in inputs] + [f'{CUDA_TYPES.get(t, t)}* {n}' for n, t in outputs]
    return f'extern "C" __global__ void k{index}({", ".join(params)}) {{\n{kernel_constants(constants)}{body}\n}}\n'

def compiles(name:str, configs:list, tmp_path, macros:str='', machine_code:bool=False) -> None:
    "Compile every (inputs, outputs, constants) of `configs` of kernel file `name` in one translation unit, `macros` after its header; fail with nvcc's errors (machine_code: down to sm_90 code, so ptxas checks inline PTX too)."
    header, _ = kernel_source(name)
    src = '#include <cuda_fp16.h>\n#include <cuda_bf16.h>\n#include <cstdint>\n' + header + macros
    src += ''.join(wrapped(name, i, *c) for i, c in enumerate(configs))
    path = tmp_path / 'kernels.cu'
    path.write_text(src)
    # MLX compiles with NVRTC, which takes constexpr host functions in device code (the kernels' gcd helpers)
    r = subprocess.run([NVCC, '-arch=sm_90', '-std=c++17', '--expt-relaxed-constexpr', '--ptx', '-o', str(tmp_path / 'k.ptx'), str(path)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    if machine_code:
        r = subprocess.run([NVCC, '-arch=sm_90', '-cubin', '-o', str(tmp_path / 'k.cubin'), str(tmp_path / 'k.ptx')], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-4000:]
    ptx = (tmp_path / 'k.ptx').read_text()
    assert all(f'.entry k{i}(' in ptx for i in range(len(configs)))   # every configuration made its own kernel

def gemv(affine:bool, bits:int, group:int, experts:int, dtype, n:int=4096, out:int=4096) -> tuple:
    "The decode GEMV's (inputs, outputs, constants) as turboquant.quant_gemv_cuda launches it."
    aux = (('aux', dtype) if affine else ('aux', F32))   # affine: the biases; TurboQuant: the fp32 codebook
    inputs = [('x', dtype), ('experts', 'int32_t'), ('codes', 'uint32_t'), ('scales', dtype), aux]
    return inputs, [('y', dtype)], dict(gemv_constants(affine, bits, n, out, group or n, 2, experts, dtype))

def test_gemv_kernel_compiles(tmp_path):
    configs = [gemv(True, b, 64, 1, BF16) for b in AFFINE_BITS]                     # every affine width
    configs += [gemv(True, 4, g, e, t) for g in (32, 128) for e in (1, 6) for t in (F16, F32)]   # groups, experts, dtypes
    configs += [gemv(False, b, g, 1, BF16, 1536) for b in TQ_BITS for g in (0, 64)]  # TurboQuant: per-row and group scales
    configs += [gemv(False, 4, 0, 6, F32, 576, 1000)]                                # stacked experts, an odd row count
    compiles('tq_gemv.cu', configs, tmp_path)

def test_gemv_fusions_compile(tmp_path):
    "A decoder block's fusions (turboquant.config_gemv_kernel's macros): input norm, residual, SwiGLU pairs, norm with SwiGLU; then two TurboQuant layers paired."
    for norm, res, swiglu in ((1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1)):
        macros = f"#define JANG_NORM {norm}\n#define JANG_RES {res}\n#define JANG_SWIGLU {swiglu}\n#define JANG_PAIR 0\n#define JANG_EPS 1e-05f\n"
        configs = []
        for bits, dtype in ((4, BF16), (3, F16), (8, F32)):
            inputs, outputs, constants = gemv(True, bits, 64, 1, dtype)
            configs.append((inputs + [('gamma', dtype)] * norm + [('res', dtype)] * res, outputs, constants))
        compiles('tq_gemv.cu', configs, tmp_path, macros)
    configs = []
    for bits, group, experts, dtype in ((2, 0, 128, BF16), (4, 0, 1, F16), (3, 64, 16, F32)):
        inputs, outputs, constants = gemv(False, bits, group, experts, dtype, 2048, 768)
        configs.append((inputs + [('codes2', 'uint32_t'), ('scales2', dtype)], outputs, constants))
    compiles('tq_gemv.cu', configs, tmp_path, "#define JANG_NORM 0\n#define JANG_RES 0\n#define JANG_SWIGLU 0\n#define JANG_PAIR 1\n")

def mma(bits:int, group:int, experts:int, dtype, n:int=4096, out:int=4096, swiglu:bool=False, tiles=None, affine:bool=True) -> tuple:
    "The tensor-core GEMV's (inputs, outputs, constants) as turboquant.mma_gemv_cuda launches it (TurboQuant: fp16 scales, fp32 codebook)."
    from jang_research.turboquant import mma_launch
    constants, _ = mma_launch((1, n), dtype, (experts, out, n * bits // 32), bits, group, affine=affine, swiglu=swiglu, tiles=tiles)
    inputs = [('x', dtype), ('experts', 'int32_t'), ('codes', 'uint32_t'), ('scales', dtype if affine else F16), ('aux', dtype if affine else F32)]
    return inputs, [('y', dtype)], dict(constants)

def test_mma_gemv_compiles(tmp_path):
    "The tensor-core GEMV: every affine width in groups of 32/64/128 (bf16), fp16, stacked experts, a row count no tile divides, two tiles a block, 4 groups a row; TurboQuant widths; then the fusions."
    configs = [mma(b, g, 1, BF16) for b in AFFINE_BITS for g in (32, 64, 128)]
    configs += [mma(b, g, e, t, 1536, 328, affine=False) for b in TQ_BITS for g, e, t in ((0, 1, BF16), (32, 16, F16), (64, 1, BF16))]
    configs += [mma(4, 64, 1, F16), mma(3, 64, 8, BF16, 2048, 768), mma(8, 32, 1, F16, 1024, 1000), mma(5, 128, 4, BF16, 1024, 200, tiles=2),
                mma(2, 64, 1, BF16, 256, 64)]
    compiles('gemv_mma.cu', configs, tmp_path, "#define JANG_NORM 0\n#define JANG_RES 0\n#define JANG_SWIGLU 0\n#define JANG_PAIR 0\n", machine_code=True)
    for norm, res, swiglu in ((1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1)):
        macros = f"#define JANG_NORM {norm}\n#define JANG_RES {res}\n#define JANG_SWIGLU {swiglu}\n#define JANG_EPS 1e-05f\n"
        configs = []
        for bits, dtype, tiles in ((4, BF16, 1), (3, F16, 2), (8, BF16, 2)):
            inputs, outputs, constants = mma(bits, 64, 1, dtype, swiglu=bool(swiglu), tiles=tiles)
            configs.append((inputs + [('gamma', dtype)] * norm + [('res', dtype)] * res, outputs, constants))
        compiles('gemv_mma.cu', configs, tmp_path, macros + "#define JANG_PAIR 0\n", machine_code=True)
    configs = []   # TurboQuant gate and up paired (an MLP, stacked experts)
    for bits, group, experts in ((4, 0, 1), (2, 0, 16), (3, 64, 1)):
        inputs, outputs, constants = mma(bits, group, experts, BF16, 2048, 768, affine=False)
        configs.append((inputs + [('codes2', 'uint32_t'), ('scales2', F16)], outputs, constants))
    compiles('gemv_mma.cu', configs, tmp_path, "#define JANG_NORM 0\n#define JANG_RES 0\n#define JANG_SWIGLU 0\n#define JANG_PAIR 1\n", machine_code=True)

def attention(n_heads:int, n_kv_heads:int, head_dim:int, dtype, merged:bool, qk_norm:bool, split:bool=False) -> tuple:
    "The one-token attention's (inputs, outputs, constants) as turboquant.attn_decode_cuda launches it (split: with the partial sums' outputs)."
    from jang_research.turboquant import attn_launch
    q, kv = n_heads * head_dim, n_kv_heads * head_dim
    offsets, lengths = ((0, q, q + kv), (q + 2 * kv,) * 3) if merged else ((0, 0, 0), (q, kv, kv))
    constants, _ = attn_launch(1, n_heads, n_kv_heads, head_dim, offsets, lengths, dtype)
    inputs = [(n, dtype) for n in ('q', 'k', 'v', 'keys', 'values')] + [('meta', 'int32_t'), ('freqs', F32)]
    outputs = [(n, dtype) for n in ('out', 'knew', 'vnew')] + [('part', F32), ('count', 'int32_t')] * split
    return inputs + [('q_gamma', dtype), ('k_gamma', dtype)] * qk_norm, outputs, dict(constants)

def test_attention_kernel_compiles(tmp_path):
    "Head sizes 64 / 128 / 256, fp32 / fp16 / bf16, merged or separate q/k/v products; then with Qwen3's per-head norms; then the keys split among blocks."
    configs = [attention(32, 8, 128, BF16, True, False), attention(32, 8, 64, F16, False, False), attention(16, 2, 256, F32, True, False)]
    compiles('attn_decode.cu', configs, tmp_path, '#define JANG_ATTN_SCALE 0.088f\n#define JANG_QKNORM 0\n#define JANG_SPLIT 0\n')
    configs = [attention(32, 4, 128, BF16, True, True), attention(8, 8, 64, F32, False, True)]
    compiles('attn_decode.cu', configs, tmp_path, '#define JANG_ATTN_SCALE 0.088f\n#define JANG_QKNORM 1\n#define JANG_QK_EPS 1e-06f\n#define JANG_SPLIT 0\n')
    configs = [attention(32, 8, 128, BF16, True, False, True), attention(16, 2, 256, F16, False, False, True)]
    compiles('attn_decode.cu', configs, tmp_path, '#define JANG_ATTN_SCALE 0.088f\n#define JANG_QKNORM 0\n#define JANG_SPLIT 1\n')

def dequant(affine:bool, bits:int, group:int, dtype, n:int=1536, rows:int=512) -> tuple:
    "The prompt path's dequantization (inputs, outputs, constants) as turboquant.dequantize_cuda launches it."
    inputs = [('codes', 'uint32_t'), ('scales', dtype if affine else F16), ('aux', dtype if affine else F32)]
    return inputs, [('w', dtype)], dict(AFFINE=int(affine), BITS=bits, IN=n, ROWS=rows, NG=n // (group or n), GS=group or n, OutT=dtype)

def test_dequant_kernel_compiles(tmp_path):
    configs = [dequant(True, b, 64, BF16) for b in AFFINE_BITS]
    configs += [dequant(False, b, g, t) for b in TQ_BITS for g in (0, 32) for t in (F16, F32)]
    compiles('tq_dequant.cu', configs, tmp_path)

def test_gptq_kernels_compile(tmp_path):
    gptq_in = [('W', F32), ('U', F32), ('S', F32), ('G', F32), ('P', 'int32_t')]
    configs = [(gptq_in, [('Q', F32), ('E', F32)], dict(AFFINE=a, LEVELS=1 if a else 16, MAXCOLS=128, WARP=w)) for a in (0, 1) for w in (0, 1)]
    compiles('gptq_block.cu', configs, tmp_path)
    compiles('chol_block.cu', [([('A', F32), ('D', F32), ('P', 'int32_t')], [('L', F32), ('X', F32)], {})], tmp_path)

def test_a_broken_kernel_fails(tmp_path, monkeypatch):
    "The check can fail: a body that uses an undeclared name does not compile."
    import jang_research.backend as backend
    real = backend.kernel_source
    monkeypatch.setattr(sys.modules[__name__], 'kernel_source', lambda name: (real(name)[0], real(name)[1] + '\n    undeclared_name = 1;\n'))
    with pytest.raises(AssertionError, match='undeclared_name'): compiles('tq_gemv.cu', [gemv(True, 4, 64, 1, BF16)], tmp_path)

def rotation(n:int, block:int, k:int, dtype, norm:bool, rep:int=1) -> tuple:
    "The rotation's (inputs, outputs, constants) as turboquant.rotate_cuda launches it."
    from jang_research.turboquant import rotate_launch
    constants, _ = rotate_launch((1, 1, n), dtype, k, block, rep=rep)
    return [('x', dtype), ('signs', F32)] + [('gamma', dtype)] * norm, [('xr', dtype)], dict(constants)

def test_rotation_kernel_compiles(tmp_path):
    "Blocks 32 to 8192 (2^k and 12 * 2^k), one or two sign vectors, three dtypes, rows written once or for each of 8 experts; then with a norm first; then SwiGLU pairs first."
    macros = lambda norm, swiglu: f"#define JANG_NORM {norm}\n#define JANG_SWIGLU {swiglu}\n#define JANG_EPS 1e-05f\n"
    configs = [rotation(4096, 4096, 1, BF16, False), rotation(14336, 2048, 1, F16, False), rotation(1920, 128, 2, F32, False),
               rotation(8192, 8192, 1, BF16, False), rotation(64, 32, 1, BF16, False), rotation(2048, 2048, 2, BF16, False, 8),
               rotation(1920, 384, 2, BF16, False, 8), rotation(6144, 6144, 1, F32, False)]   # blocks of 12 * 2^k
    compiles('tq_rotate.cu', configs, tmp_path, macros(0, 0))
    compiles('tq_rotate.cu', [rotation(4096, 4096, 2, BF16, True), rotation(2048, 2048, 1, F32, True)], tmp_path, macros(1, 0))
    compiles('tq_rotate.cu', [rotation(14336, 2048, 1, BF16, False), rotation(768, 768, 1, F16, False)], tmp_path, macros(0, 1))
