"Run every notebook in nbs/ with nbdev's test_nb: the notebooks' examples and checks are the unit tests."
import importlib, os
from pathlib import Path
import pytest
from conftest import ROOT, SLOW

NOTEBOOKS = sorted((ROOT/'nbs').glob('[0-9]*.ipynb'))

def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7

@pytest.fixture
def package_registry():
    "The package's quantizer registry as the package defines it, restored after the notebook ran."
    # test_nb runs a notebook in this process: its exported cells (e.g. 13_turboquant's register_quantizer) would
    # leave notebook-defined quantizers (and their classes) in the package registry for the tests that follow
    from jang_research.affine import QUANTIZERS, _BUILTIN_METHODS
    for mod in set(_BUILTIN_METHODS.values()): importlib.import_module(mod)
    saved = dict(QUANTIZERS)
    yield
    QUANTIZERS.clear(); QUANTIZERS.update(saved)

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb, package_registry):
    from nbdev.test import test_nb
    ok, secs = test_nb(nb, skip_flags=[] if SLOW else ['slow'], showerr=True)
    assert ok, f'{nb.name} failed (see the traceback above)'
