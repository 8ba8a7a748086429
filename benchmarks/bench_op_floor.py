"""What one MLX op costs on this device when it does almost nothing: the floor under every kernel of a decode step.

Times --ops RMS norms of a (1, 4096) bf16 vector (a kernel mx.compile does not fuse with its neighbours), each feeding
the next as the ops of a decode step do, per op: built and evaluated op by op ('eager', what mlx-lm's decode loop does)
and replayed as one mx.compile'd function ('graph'); and the same for independent ops. This floor times a decode step's
op count bounds its tokens/s whatever the kernels do.

Usage: python benchmarks/bench_op_floor.py [--ops 200]
"""
import argparse, time

def best_us(run, arg, n:int, reps:int=5) -> float:
    from jang_research.backend import mx
    mx.eval(run(arg))
    best = float('inf')
    for _ in range(reps):
        t = time.perf_counter()
        mx.eval(run(arg))
        best = min(best, (time.perf_counter() - t) / n)
    return best * 1e6

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--ops', type=int, default=200)
    a = ap.parse_args()
    from jang_research.backend import mx, device_name
    ws = [mx.random.normal((4096,)).astype(mx.bfloat16) for _ in range(a.ops)]   # distinct weights: nothing to merge
    mx.eval(ws)
    def chain(x):
        for w in ws: x = mx.fast.rms_norm(x, w, 1e-5)
        return x
    def fanout(x): return [mx.fast.rms_norm(x, w, 1e-5) for w in ws]
    x = mx.random.normal((1, 4096)).astype(mx.bfloat16)
    print(f"MLX {mx.__version__} on {device_name()}: microseconds per op, {a.ops} RMS norms of a (1, 4096) bf16 vector")
    print(f"{'':24s} {'eager':>8s} {'graph':>8s}")
    print(f"{'dependent (x = norm(x))':24s} {best_us(chain, x, a.ops):8.2f} {best_us(mx.compile(chain), x, a.ops):8.2f}")
    print(f"{'independent':24s} {best_us(fanout, x, a.ops):8.2f} {best_us(mx.compile(fanout), x, a.ops):8.2f}")

if __name__ == '__main__': main()
