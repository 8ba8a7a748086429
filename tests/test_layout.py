"""The package's shape: no import cycle, no private name crossing a module, no module importing a later notebook's."""
import json, sys
from conftest import ROOT
sys.path.insert(0, str(ROOT/'scripts'))
from check_layout import layout_problems

def test_package_layout():
    problems, n_mods, n_edges = layout_problems(ROOT/'jang_research', ROOT/'nbs')
    assert problems == [] and n_mods >= 20 and n_edges >= 50

def _nb(folder, name, module):
    (folder/name).write_text(json.dumps({'cells': [{'cell_type': 'code', 'source': [f'#| default_exp {module}']}]}))

def test_the_check_catches_cycles_private_names_and_forward_imports(tmp_path):
    pkg, nbs = tmp_path/'pkg', tmp_path/'nbs'
    pkg.mkdir()
    nbs.mkdir()
    _nb(nbs, '00_a.ipynb', 'a')
    _nb(nbs, '10_b.ipynb', 'b')
    (pkg/'a.py').write_text('def f():\n    from .b import _g\n')      # a function-level import counts
    (pkg/'b.py').write_text('from .a import f\n')
    problems, _, _ = layout_problems(pkg, nbs)
    assert any('private name _g' in p for p in problems)
    assert any('from a later notebook' in p for p in problems)
    assert any(p.startswith('import cycle: a -> b -> a') or p.startswith('import cycle: b -> a -> b') for p in problems)
