"""The whole pipeline on a real shape, every stage streamed block by block: time, peak device memory and peak RSS per stage.

A random-weight model of a real shape (bench_decode's SHAPES: smollm2-135m, llama-1b, llama-8b, qwen3-30b-a3b; --layers cuts it) is
written as a bf16 folder in shards, then in one process:

  write        the bf16 folder (random weights, each shard made and written in turn)
  sensitivity  streaming.stream_sensitivity: RTN 2/3/4/5/6/8-bit g64 proxies of every tensor on the calibration
               Hessians (--calib-windows x --calib-len tokens), ΔKL of the reference option (3-bit g64) measured for
               every tensor on 4 x 128 tokens, one pass over the shards
  allocate     the exact allocator at --target-bpw over that table
  gptq         streaming.stream_quantize of the allocated widths with GPTQ for every block tensor (RTN for the embedding and
               head), calibration carried block to block on the same windows; the blocks' time split by phase (read, Hessians,
               GPTQ factor / codes / guard, other quantizing, forward of the quantized block, save)
  jangtq       (MoE shapes, only when named in --stages) streaming.stream_quantize of the JANGTQ_K recipe: routed experts in
               TurboQuant codes with GPTQ feedback (gate/up 2-bit, down 4-bit, one scale per row), every other tensor 8-bit
               g64 RTN, routers float; its own bundle, which a later decode stage in the same run loads
  decode       the last bundle made (load_bundle: MLX's quantized layers, ours for TurboQuant) and 64 greedy tokens decoded
               (mlx-lm generate_step)

Random weights make KL meaningless: the numbers are cost. Peak device memory is MLX's (mx.get_peak_memory, reset per
stage); peak RSS is the process's high-water mark, reset per stage (/proc/self/clear_refs). Rows are appended to --json
as each stage ends (a run cut short keeps what it measured).

Usage: python benchmarks/bench_pipeline.py --shape llama-8b [--layers N] [--experts E] [--vocab V] [--calib-windows 128 --calib-len 2048]
           [--work /tmp/bench-pipeline] [--source FOLDER] [--tokenizer FOLDER] [--json out.json] [--plan plan.json] [--stages write sensitivity allocate gptq jangtq decode]
           [--factor auto|host|device] [--factor-panel P] [--factor-alone] [--gptq-loop mlx|cuda|auto] [--tf32]
"""
import argparse, json, os, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from bench_decode import SHAPES, gpu_name

STAGES = ('write', 'sensitivity', 'allocate', 'gptq', 'jangtq', 'decode')

def reset_peaks():
    from jang_research.backend import mx
    mx.reset_peak_memory()
    try: Path('/proc/self/clear_refs').write_text('5')   # the RSS high-water mark restarts from the current RSS
    except OSError: pass

def peak_rss_gb() -> float:
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmHWM:'): return int(line.split()[1]) / 2**20
    return float('nan')

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--shape', choices=sorted(SHAPES), default='llama-1b')
    ap.add_argument('--layers', type=int, help='keep only this many blocks of the shape')
    ap.add_argument('--experts', type=int, help='MoE shapes: keep only this many experts a layer (top-k cut to match): the routed path checked at a size a CPU can run')
    ap.add_argument('--vocab', type=int, help="cut the vocabulary to this size (a quick run on a CPU: a 128k-row head is slow there); at least the tokenizer's (SmolLM2's: 49152)")
    ap.add_argument('--calib-windows', type=int, default=128)
    ap.add_argument('--calib-len', type=int, default=2048)
    ap.add_argument('--target-bpw', type=float, default=4.0)
    ap.add_argument('--work', default='/tmp/bench-pipeline')
    ap.add_argument('--source', help='folder for the bf16 model (default: WORK/SHAPE-bf16), e.g. on a RAM disk when one disk cannot hold the model and its bundle')
    ap.add_argument('--tokenizer', help='folder whose tokenizer files the model folder gets (default: the prepared SmolLM2)')
    ap.add_argument('--stages', nargs='+', default=[s for s in STAGES if s != 'jangtq'], choices=STAGES, help='stages in this order (jangtq only when named)')
    ap.add_argument('--json')
    ap.add_argument('--factor', default='auto', choices=['auto', 'host', 'device'],
                    help="where GPTQ's factor of H⁻¹ is computed (auto: on the device when it is a GPU)")
    ap.add_argument('--factor-alone', action='store_true', help="factor each GPTQ Hessian when its tensor asks, not a block's same-width ones together")
    ap.add_argument('--factor-panel', type=int, help="columns per panel of GPTQ's device factor (default: the package's)")
    ap.add_argument('--gptq-loop', default='auto', choices=['auto', 'mlx', 'cuda'],
                    help="how GPTQ's column loop runs (cuda: one kernel a block of columns; auto: cuda on a CUDA GPU)")
    ap.add_argument('--tf32', action='store_true',
                    help='let MLX run float32 matmuls as TF32 on a CUDA GPU (sets MLX_ENABLE_TF32=1 before MLX starts; MLX reads it once)')
    ap.add_argument('--plan', help='the allocate stage writes its plan here; the gptq stage of a later run reads it (default: uniform 4-bit)')
    a = ap.parse_args()
    if a.tf32: os.environ['MLX_ENABLE_TF32'] = '1'
    import jang_research as jr   # first: it preloads the system BLAS before mlx.core is imported
    from jang_research.backend import mx, COMPUTE_DTYPE, FP32_MATMULS
    from jang_research.models import model_classes, prepare_model, load_model
    from jang_research.testing import write_model_folder
    from jang_research.streaming import stream_sensitivity, stream_quantize
    from jang_research.sweep import option_specs
    from jang_research.inventory import inventory, layer_index, Plan, QuantSpec
    from jang_research.data import token_windows, calibration_text
    from jang_research.gptq import set_gptq_factor, factor_on_device, set_gptq_loop, loop_on_cuda
    set_gptq_factor(a.factor, a.factor_panel, together=not a.factor_alone)
    set_gptq_loop(a.gptq_loop)
    cfg = dict(SHAPES[a.shape], **({'num_hidden_layers': a.layers} if a.layers else {}), **({'vocab_size': a.vocab} if a.vocab else {}))
    if a.experts:
        if 'num_experts' not in cfg: raise SystemExit(f'--experts: {a.shape} has no experts')
        cfg.update(num_experts=a.experts, num_experts_per_tok=min(cfg['num_experts_per_tok'], a.experts))
    name = a.shape + (f'-{a.layers}l' if a.layers else '') + (f'-e{a.experts}' if a.experts else '') + (f'-v{a.vocab}' if a.vocab else '')
    work = Path(a.work)
    folder, bundle = Path(a.source) if a.source else work/f'{name}-bf16', work/f'{name}-gptq'
    dev = f"{mx.default_device()} {gpu_name()}".strip()
    print(f"{name} on {dev}; compute {COMPUTE_DTYPE} ({'full fp32' if FP32_MATMULS else 'TF32'} matmuls); calibration {a.calib_windows} x {a.calib_len} tokens; "
          f"GPTQ factor on the {'device (fp32)' if factor_on_device() else 'host (float64)'}, column loop {'CUDA kernel' if loop_on_cuda() else 'MLX'}", flush=True)
    old = json.loads(Path(a.json).read_text()) if a.json and Path(a.json).exists() else {}
    rows = [r for r in old.get('rows', []) if r['shape'] != name or r['stage'] not in a.stages]   # --json merges: other shapes' and stages' rows stay
    model_cls, args_cls = model_classes(cfg)
    from mlx.utils import tree_flatten
    n_params = sum(v.size for _, v in tree_flatten(model_cls(args_cls.from_dict(cfg)).parameters()))   # lazy: nothing is made
    meta = dict(configs={**old.get('configs', {}), name: cfg}, calib={**old.get('calib', {}), name: [a.calib_windows, a.calib_len]},
                params={**old.get('params', {}), name: n_params})
    state = {}

    def stage(label, fn):
        reset_peaks()
        t0 = time.perf_counter()
        note = fn()
        row = dict(shape=name, stage=label, seconds=round(time.perf_counter() - t0, 1), peak_device_gb=round(mx.get_peak_memory() / 1e9, 2),
                   peak_rss_gb=round(peak_rss_gb(), 2), device=dev, note=note or '')
        rows.append(row)
        print(f"{label:12s} {row['seconds']:8.1f} s  peak device {row['peak_device_gb']:7.2f} GB  peak RSS {row['peak_rss_gb']:6.2f} GiB  {row['note']}", flush=True)
        if a.json: Path(a.json).write_text(json.dumps(dict(meta, rows=rows), indent=1))

    def write():
        import shutil
        if folder.exists(): shutil.rmtree(folder)
        mx.random.seed(0)
        model = model_cls(args_cls.from_dict(cfg))   # lazy: each parameter is made when its shard is written
        tok = Path(a.tokenizer) if a.tokenizer else prepare_model('smollm2-135m-instruct', progress=False)
        write_model_folder(model, cfg, folder, 'bfloat16', tokenizer_from=tok, free=True)
        return f"{sum(f.stat().st_size for f in folder.glob('*.safetensors')) / 1e9:.1f} GB bf16"

    def sensitivity():
        t = stream_sensitivity(folder, option_specs(), calib_windows=a.calib_windows, calib_len=a.calib_len, resume=False, progress=False)
        state['table'] = t
        return f"{len(t.paths)} tensors x {len(t.labels(t.paths[0]))} options, {t.meta['measured_now']} ΔKL measured"

    def allocate():
        if 'table' not in state: raise SystemExit('allocate needs the sensitivity stage in the same run')
        inv = inventory(load_model(folder, lazy=True)[0])
        plan = jr.allocate(state['table'], target_bpw=a.target_bpw, inventory=inv)
        # GPTQ for every block tensor at its allocated width; the embedding and head stay RTN
        state['plan'] = Plan({p: QuantSpec(s.bits, s.group_size, 'gptq', s.dtype) if layer_index(p) is not None and not s.is_float else s
                              for p, s in plan.specs.items()}, plan.float_dtype)
        if a.plan: Path(a.plan).write_text(json.dumps(state['plan'].to_json()))
        floats = sum(s.is_float for s in plan.specs.values())   # e.g. an MoE router the plan keeps in float
        return f"{plan.meta['bpw']:.3f} bpw, widths {sorted({s.bits for s in plan.specs.values() if not s.is_float})}" + (f', {floats} float' if floats else '')

    def gptq():
        plan = state.get('plan')
        if plan is None and a.plan and Path(a.plan).exists(): plan = Plan.from_json(json.loads(Path(a.plan).read_text()))
        if plan is None:   # without an allocated plan: uniform 4-bit g64
            from jang_research.inventory import uniform_plan
            inv = inventory(load_model(folder, lazy=True)[0])
            plan = uniform_plan(inv, 4, 64, 'gptq')
            plan.specs.update({t.path: QuantSpec(4, 64) for t in inv if layer_index(t.path) is None})
        _, tok = load_model(folder, lazy=True)
        windows = token_windows(tok, calibration_text(), a.calib_windows, a.calib_len)
        return streamed(plan, bundle, windows)

    def streamed(plan, out, windows):
        "stream_quantize into `out`, which the decode stage then loads; the note: bundle size and seconds by phase."
        timings = {}
        stream_quantize(folder, plan, out, windows, force=True, timings=timings, progress=False)
        state['bundle'] = out
        split = ', '.join(f'{k} {v:.1f}' for k, v in sorted(timings.items(), key=lambda kv: -kv[1]))
        return f"{sum(f.stat().st_size for f in out.glob('*.safetensors')) / 1e9:.2f} GB bundle; phases: {split} s"

    def jangtq():
        from jang_research.jangtq import jangtq_plan
        inv = inventory(load_model(folder, lazy=True)[0])
        plan = jangtq_plan(inv, 'JANGTQ_K', method='tq_gptq')
        _, tok = load_model(folder, lazy=True)
        return streamed(plan, work/f'{name}-jangtq', token_windows(tok, calibration_text(), a.calib_windows, a.calib_len))

    def decode():
        from mlx_lm.generate import generate_step
        from jang_research.bundle import load_bundle
        model, tok, _ = load_bundle(state.get('bundle', bundle), compute_dtype=None if 'gpu' in str(mx.default_device()) else COMPUTE_DTYPE, verify=False)
        prompt = mx.array(tok.encode('The quick brown fox'))
        n, t0 = 0, None
        for i, _ in enumerate(generate_step(prompt, model, max_tokens=68)):
            if i == 3: t0 = time.perf_counter()   # after 4 warm-up steps
            n = i
        return f"{(n - 3) / (time.perf_counter() - t0):.1f} tok/s greedy decode"

    run = dict(write=write, sensitivity=sensitivity, allocate=allocate, gptq=gptq, jangtq=jangtq, decode=decode)
    for s in a.stages: stage(s, run[s])

if __name__ == '__main__': main()
