"Run every notebook in nbs/ with nbdev's test_nb: the notebooks' examples and checks are the unit tests."
import os
from pathlib import Path
import pytest
from conftest import ROOT, SLOW

NOTEBOOKS = sorted((ROOT/'nbs').glob('[0-9]*.ipynb'))

def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb):
    from nbdev.test import test_nb
    ok, secs = test_nb(nb, skip_flags=[] if SLOW else ['slow'], showerr=True)
    assert ok, f'{nb.name} failed (see the traceback above)'
