"""Real-browser test of the explorer: JupyterLab on 127.0.0.1, Debian chromium driven by Playwright.

Opens a copy of nbs/60_explorer.ipynb, runs all cells, moves a block's MLP slider with the keyboard and checks
that the displayed KL and size change and that the charts are SVG. Screenshots go to tests/artifacts/.
"""
import os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest
from conftest import ROOT

CHROMIUM = '/usr/bin/chromium'
SHOTS = ROOT/'tests'/'artifacts'

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

def _wait_http(url, timeout=120):
    t = time.time()
    while time.time() - t < timeout:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200: return
        except Exception: time.sleep(0.5)
    raise TimeoutError(f'{url} did not answer in {timeout} s')

@pytest.fixture
def lab(tmp_path):
    "A JupyterLab server on 127.0.0.1 serving a copy of the explorer notebook (the repository's copy is never touched)."
    shutil.copy(ROOT/'nbs'/'60_explorer.ipynb', tmp_path/'explorer.ipynb')
    port, token = _free_port(), 'jang-test-token'
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path/'cfg'), JUPYTER_RUNTIME_DIR=str(tmp_path/'rt'),
               JANG_DATA=str(ROOT/'data'), PYTHONPATH=str(ROOT))
    log = open(tmp_path/'lab.log', 'w')
    proc = subprocess.Popen([sys.executable, '-m', 'jupyterlab', '--no-browser', '--ip=127.0.0.1', f'--port={port}',
                             f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={tmp_path}',
                             '--LabApp.news_url=None', '--LabApp.extension_manager=readonly', '--allow-root'],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        _wait_http(f'http://127.0.0.1:{port}/api/status?token={token}')
        yield f'http://127.0.0.1:{port}', token
    finally:
        proc.terminate()
        try: proc.wait(20)
        except subprocess.TimeoutExpired: proc.kill()
        log.close()

@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason='Debian chromium not installed (scripts/setup.sh installs it)')
def test_explorer_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright
    base, token = lab
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                                          '--disable-background-networking', '--disable-component-update', '--disable-sync'])
        page = browser.new_page(viewport={'width': 1500, 'height': 1100})
        try: before, after, moved, n_svg = _drive(page, base, token)
        except Exception:
            page.screenshot(path=str(SHOTS/'explorer_failure.png'))
            raise
        finally: browser.close()
    print('before', before, '\nafter ', after, f'\nslider {moved}; {n_svg} chart SVGs')
    assert after['size'] != before['size'] and after['kl-mean'] != before['kl-mean']
    assert after['effective-bpw'] != before['effective-bpw']
    assert n_svg >= 2                                                   # bits chart and frontier chart, rendered offline

def _read(page) -> dict:
    return {k: page.locator(f'.jang-explorer .jang-{k}').inner_text() for k in ('size', 'kl-mean', 'effective-bpw')}

def _drive(page, base, token):
    "Open and run the notebook, move block 15's MLP slider by one step with the keyboard; read-outs before and after."
    page.goto(f'{base}/lab/tree/explorer.ipynb?token={token}')
    page.wait_for_selector('.jp-Notebook', timeout=120_000)
    from playwright.sync_api import TimeoutError as PWTimeout
    try: page.get_by_role('button', name='Select', exact=True).click(timeout=20_000)   # JupyterLab may ask for the kernel
    except PWTimeout: pass
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=120_000)
    page.click('.lm-MenuBar-item:has-text("Run")')
    page.get_by_role('menuitem', name='Run All Cells', exact=True).click()
    page.locator('.jang-explorer .jang-metrics').wait_for(timeout=600_000)       # the notebook runs its lesson first
    page.wait_for_function("() => { const b = document.querySelector('.jang-explorer .jang-busy');"
                           " return b && b.textContent.startsWith('ready'); }", timeout=300_000)
    explorer = page.locator('.jang-explorer')
    explorer.scroll_into_view_if_needed()
    before = _read(page)
    explorer.screenshot(path=str(SHOTS/'explorer_before.png'))
    slider = page.locator('.jang-slider-L15-mlp')
    value_before = slider.locator('.widget-readout').inner_text()
    slider.locator('.noUi-handle').focus()
    page.keyboard.press('ArrowRight' if value_before == '2' else 'ArrowLeft')
    page.wait_for_function("v => { const r = document.querySelector('.jang-slider-L15-mlp .widget-readout');"
                           " return r && r.textContent !== v; }", arg=value_before, timeout=30_000)
    page.wait_for_function("s => { const e = document.querySelector('.jang-explorer .jang-size');"
                           " const b = document.querySelector('.jang-explorer .jang-busy');"
                           " return e && e.textContent !== s && b.textContent.startsWith('ready'); }",
                           arg=before['size'], timeout=120_000)
    after = _read(page)
    explorer.screenshot(path=str(SHOTS/'explorer_after.png'))
    moved = f"{value_before} → {slider.locator('.widget-readout').inner_text()}"
    return before, after, moved, page.locator('.jang-explorer .jang-chart svg').count()
