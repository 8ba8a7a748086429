"""Run every notebook in nbs/ with nbdev's test_nb: the notebooks' examples and checks are the unit tests.

Each notebook runs in a process of its own, so what one notebook holds (models, Hessians, caches of
compiled kernels) is freed when it ends, and the suite's peak memory is that of its largest notebook,
not the sum of all of them; nothing a notebook registers or patches leaks into the next one."""
import subprocess, sys
import pytest
from conftest import ROOT, SLOW

NOTEBOOKS = [*sorted((ROOT/'nbs').glob('[0-9]*.ipynb')), ROOT/'nbs'/'index.ipynb']   # the numbered ones, then the front door
RUNNER = ("import sys; from nbdev.test import test_nb; "
          "ok, _ = test_nb(sys.argv[1], skip_flags=sys.argv[2:], showerr=True); sys.exit(0 if ok else 1)")

def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb):
    r = subprocess.run([sys.executable, '-c', RUNNER, str(nb), *([] if SLOW else ['slow'])], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, f'{nb.name} failed:\n{r.stdout[-6000:]}\n{r.stderr[-6000:]}'
