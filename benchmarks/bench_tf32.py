"""What TF32 (MLX_ENABLE_TF32=1) does to the float32 matmuls streamed GPTQ spends its time in, on a CUDA GPU.

Prints, for the setting this process started with: the time of XᵀX for a 32768 × 4096 float32 X (a Hessian's product),
and its relative error against float64 on the host for bf16-valued X (a bf16 model's activations) and for a general
4096² product. Then it sets MLX_ENABLE_TF32 to the other value inside the process and times XᵀX again: MLX reads the
setting once, so only a setting made before the process starts counts. jang_research sets MLX_ENABLE_TF32=0 when the
user has not chosen.

Usage: python benchmarks/bench_tf32.py; MLX_ENABLE_TF32=1 python benchmarks/bench_tf32.py
"""
import os, time
import numpy as np

def timed(f, n:int=5) -> float:
    "Seconds per call of f (evaluated), after one call."
    from jang_research.backend import mx
    mx.eval(f())
    t = time.perf_counter()
    for _ in range(n): mx.eval(f())
    return (time.perf_counter() - t) / n

def rel(a, ref) -> float: return float(np.linalg.norm(np.asarray(a, np.float64) - ref) / np.linalg.norm(ref))

def main():
    import jang_research  # noqa: F401  (sets MLX_ENABLE_TF32=0 unless the user chose)
    from jang_research.backend import mx
    setting = os.environ.get('MLX_ENABLE_TF32')
    mx.random.seed(0)
    X = mx.random.normal((32768, 4096)).astype(mx.bfloat16).astype(mx.float32)   # bf16 values: exact in TF32's inputs
    mx.eval(X)
    t = timed(lambda: X.T @ X)
    head = np.array(X[:4096], np.float64)
    A, B = mx.random.normal((4096, 4096)), mx.random.normal((4096, 4096))
    print(f"{mx.default_device()} MLX_ENABLE_TF32={setting}: X^T X (32768 x 4096 fp32) {t * 1e3:.1f} ms = {2 * 32768 * 4096 ** 2 / t / 1e12:.1f} TFLOP/s; "
          f"rel. error of X^T X for bf16-valued X {rel(X[:4096].T @ X[:4096], head.T @ head):.2e}; "
          f"of a general fp32 A @ B {rel(A @ B, np.array(A, np.float64) @ np.array(B, np.float64)):.2e}")
    os.environ['MLX_ENABLE_TF32'] = '1' if setting == '0' else '0'
    print(f"  MLX_ENABLE_TF32 set to {os.environ['MLX_ENABLE_TF32']} inside the process: X^T X {timed(lambda: X.T @ X) * 1e3:.1f} ms")

if __name__ == '__main__': main()
