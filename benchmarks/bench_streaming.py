"""Layer-streamed quantization of a model larger than this machine's memory: wall time and peak RSS per stage.

A random-weight Llama-3.1-8B-shape folder (hidden 4096, 32 layers, MLP 14336, 32 heads / 8 KV heads,
vocab 128256, untied head) is written in bf16 shards (~16 GB; it is 32 GB in fp32, more than this 24 GB
machine has), then each stage runs as its own `jang-research` process under /usr/bin/time, so every peak
RSS is that stage's alone:

  write      the bf16 folder, one shard in memory at a time (jang_research.testing.write_model_folder)
  rtn        quantize --bits 4 (RTN, g64) --stream: every block read, quantized, written, freed
  generate   the RTN bundle reloaded (load_bundle, real quantized layers) and run for a few tokens
  gptq-2     quantize --stream with GPTQ 4-bit g64 for every block tensor (RTN 4-bit for the embedding and head:
             GPTQ of a 128256-row head is half an hour here) on the same shape cut to 2 blocks (GPTQ of all 32
             blocks is hours of this 2-core CPU's time: ~33 s for one 4096 x 4096 tensor), beside
  whole-2    the same plan with the 2-block model loaded whole (--no-stream): the memory streaming saves
  eval       eval --stream of the RTN bundle against the 32-block float folder (4 x 128 held-out tokens): both models
             walked block by block, since the float one cannot be held
  eval-2     eval --stream and eval --no-stream of a 2-block RTN 4-bit bundle: the same numbers, and the memory saved

Random weights make text quality meaningless; the numbers are cost. Usage:
  python benchmarks/bench_streaming.py [--work /tmp/bench-stream] [--json out.json] [--keep] [--stages rtn generate gptq-2 whole-2 eval eval-2]
(--json merges: rows of stages not run this time are kept from the file)
"""
import argparse, json, os, shutil, subprocess, sys
from pathlib import Path

LLAMA_8B = dict(model_type='llama', hidden_size=4096, num_hidden_layers=32, intermediate_size=14336, num_attention_heads=32,
                num_key_value_heads=8, head_dim=128, vocab_size=128256, rms_norm_eps=1e-5, rope_theta=500000.0,
                max_position_embeddings=131072, tie_word_embeddings=False)
EXE = Path(sys.executable).with_name('jang-research')

WRITE = '''
import sys, json
from jang_research.backend import mx
from jang_research.models import model_classes, prepare_model
from jang_research.testing import write_model_folder
cfg = json.loads(sys.argv[1])
model_cls, args_cls = model_classes(cfg)
mx.random.seed(0)
model = model_cls(args_cls.from_dict(cfg))   # lazy: each parameter is computed when its shard is written
write_model_folder(model, cfg, sys.argv[2], 'bfloat16', tokenizer_from=prepare_model('smollm2-135m-instruct', progress=False), free=True)
'''

PLAN = '''
import sys, json
from jang_research.models import load_model
from jang_research.inventory import inventory, layer_index, uniform_plan, QuantSpec
inv = inventory(load_model(sys.argv[1], lazy=True)[0])
plan = uniform_plan(inv, 4, 64, 'gptq')
for t in inv:
    if layer_index(t.path) is None: plan.specs[t.path] = QuantSpec(4, 64)   # RTN embedding and head
open(sys.argv[2], 'w').write(json.dumps(plan.to_json()))
'''

SAME = '''
import sys
from pathlib import Path
from jang_research.backend import mx
def stored(d):
    out = {}
    for f in sorted(Path(d).glob('model*.safetensors')): out.update(mx.load(str(f)))
    return out
a, b = stored(sys.argv[1]), stored(sys.argv[2])
print(sorted(a) == sorted(b) and all(mx.array_equal(a[k], b[k]).item() for k in a))'''

def timed(name:str, cmd:list, log) -> dict:
    "Run `cmd` under /usr/bin/time; its wall time, peak RSS and last output line."
    r = subprocess.run(['/usr/bin/time', '-f', 'JANG_TIME %e %M', *map(str, cmd)], capture_output=True, text=True)
    stats = [l for l in r.stderr.splitlines() if l.startswith('JANG_TIME')]
    if r.returncode != 0 or not stats: raise SystemExit(f'{name} failed (exit {r.returncode}):\n{r.stderr[-3000:]}')
    wall, kb = stats[-1].split()[1:]
    out = [l for l in r.stdout.splitlines() if l.strip()]
    row = dict(stage=name, seconds=round(float(wall), 1), peak_rss_gb=round(int(kb) / 2**20, 2), output=out[-1] if out else '')
    print(f"{name:9s} {row['seconds']:8.1f} s  peak RSS {row['peak_rss_gb']:6.2f} GiB   {row['output'][:110]}", file=log, flush=True)
    return row

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--work', default='/tmp/bench-stream', help='folder for the model folders and bundles (about 25 GB)')
    ap.add_argument('--json')
    ap.add_argument('--keep', action='store_true', help='keep the folders afterwards')
    ap.add_argument('--tokens', type=int, default=4, help='tokens to generate from the RTN bundle')
    ap.add_argument('--stages', nargs='+', default=['rtn', 'generate', 'gptq-2', 'whole-2', 'eval', 'eval-2'])
    a = ap.parse_args()
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    rows, log = [], sys.stdout
    print(f"Llama-3.1-8B shape, random bf16 weights; {os.cpu_count()} CPU cores; one process a stage", file=log)
    full, two = work/'llama8b-bf16', work/'llama8b-2blocks-bf16'
    needed = [(full, 32)] if {'rtn', 'generate', 'eval'} & set(a.stages) else []      # the 32-block folder only for its stages
    needed += [(two, 2)] if {'gptq-2', 'whole-2', 'eval-2'} & set(a.stages) else []
    for d, layers in needed:
        if not (d/'config.json').exists():
            shutil.rmtree(d, ignore_errors=True)
            rows.append(timed(f'write-{layers}', [sys.executable, '-c', WRITE, json.dumps({**LLAMA_8B, 'num_hidden_layers': layers}), d], log))
    for d, _ in needed:
        size = sum(f.stat().st_size for f in d.glob('*.safetensors'))
        print(f"{d.name}: {size/1e9:.1f} GB of bf16 shards ({2*size/1e9:.1f} GB in fp32)", file=log)
    for d in a.stages:
        if not d.startswith('eval'): shutil.rmtree(work/d, ignore_errors=True)   # an eval stage scores what an earlier run wrote
    if 'rtn' in a.stages:
        rows.append(timed('rtn', [EXE, 'quantize', '--model', full, '--bits', '4', '--group-size', '64', '--stream', '--out', work/'rtn'], log))
    if 'generate' in a.stages:
        rows.append(timed('generate', [EXE, 'generate', '--bundle', work/'rtn', '--prompt', 'Hello', '--max-tokens', a.tokens, '--no-chat'], log))
    plan = work/'gptq-blocks.json'
    calib = ['--calib-windows', '4', '--calib-len', '128', '--plan', plan]
    for stage, how in (('gptq-2', '--stream'), ('whole-2', '--no-stream')):
        if stage not in a.stages: continue
        if not plan.exists(): subprocess.run([sys.executable, '-c', PLAN, two, plan], check=True)
        rows.append(timed(stage, [EXE, 'quantize', '--model', two, *calib, how, '--out', work/stage], log))
    if 'eval' in a.stages:
        rows.append(timed('eval', [EXE, 'eval', '--model', full, '--bundle', work/'rtn', '--windows', '4', '--window-len', '128', '--stream',
                                   '--json', work/'eval.json', '--force'], log))
    if 'eval-2' in a.stages:
        shutil.rmtree(work/'rtn-2', ignore_errors=True)
        rows.append(timed('rtn-2', [EXE, 'quantize', '--model', two, '--bits', '4', '--group-size', '64', '--stream', '--out', work/'rtn-2'], log))
        for stage, how in (('eval-2', '--stream'), ('eval-2-whole', '--no-stream')):
            rows.append(timed(stage, [EXE, 'eval', '--model', two, '--bundle', work/'rtn-2', '--windows', '4', '--window-len', '128', how,
                                      '--json', work/f'{stage}.json', '--force'], log))
        kl = {st: json.loads((work/f'{st}.json').read_text())['kl_mean']['value'] for st in ('eval-2', 'eval-2-whole')}
        print(f"2-block RTN bundle, KL mean streamed {kl['eval-2']:.6f} vs whole {kl['eval-2-whole']:.6f}", file=log)
    before = json.loads(Path(a.json).read_text()) if a.json and Path(a.json).exists() else {}
    old = before.get('rows', [])
    rows = [r for r in old if r['stage'] not in {x['stage'] for x in rows}] + rows
    by = {r['stage']: r for r in rows}
    if 'gptq-2' in by and 'whole-2' in by:
        print(f"2-block GPTQ, streamed vs whole: peak RSS {by['gptq-2']['peak_rss_gb']:.2f} vs {by['whole-2']['peak_rss_gb']:.2f} GiB "
              f"({by['gptq-2']['peak_rss_gb']/by['whole-2']['peak_rss_gb']:.2f}x), time {by['gptq-2']['seconds']:.0f} vs {by['whole-2']['seconds']:.0f} s", file=log)
    identical = None
    if (work/'gptq-2').exists() and (work/'whole-2').exists():
        identical = subprocess.run([sys.executable, '-c', SAME, work/'gptq-2', work/'whole-2'], capture_output=True, text=True).stdout.strip() == 'True'
        print(f"streamed and whole 2-block GPTQ bundles identical: {identical}", file=log)
    folder_bytes = sum(f.stat().st_size for f in full.glob('*.safetensors')) or before.get('folder_bytes')
    if a.json: Path(a.json).write_text(json.dumps(dict(shape=LLAMA_8B, folder_bytes=folder_bytes, rows=rows, identical=identical), indent=1))
    if not a.keep: shutil.rmtree(work)

if __name__ == '__main__': main()
