"""The explorer's widget checks (`explorer_checks.py`) in a pytest process of their own: the explorer holds the model
and its fake-quant weights, and memory the process once held is not given back to the system, so in this process
it would add to every later test's peak."""
import subprocess, sys
from conftest import ROOT

def test_explorer_widget_checks():
    r = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', str(ROOT/'tests'/'explorer_checks.py')],
                       cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-3000:]
    assert r.stdout.strip().splitlines()[-1].startswith('6 passed'), r.stdout[-2000:]
