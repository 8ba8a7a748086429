"""Check the package's shape: no import cycle between its modules (imports inside functions count too), no
private name (`_x`) imported from another module, and every module imports only modules of earlier notebooks.
Run: .venv/bin/python scripts/check_layout.py  (exit 1 and a line per problem when something is wrong)."""
import ast, json, re, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]

def notebook_order(nbs:Path) -> dict:
    "module name -> position of the notebook that exports it (its number)."
    out = {}
    for nb in sorted(nbs.glob('*.ipynb')):
        for c in json.loads(nb.read_text())['cells']:
            m = re.match(r'#\|\s*default_exp\s+(\S+)', ''.join(c['source']))
            if m: out[m.group(1)] = int(nb.name.split('_')[0]) if nb.name[0].isdigit() else None
    # the front door (index.ipynb, the package's first page) is built on every stage; only the command line is above it
    if '__init__' in out and out['__init__'] is None: out['__init__'] = 65
    return out

def imports(path:Path, mods:set):
    "(imported module, [names]) of every import of a package module in `path`, at any depth."
    pkg = lambda name: name if name in mods else '__init__'   # `from jang_research import load`: the front door
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ''
            if node.level == 1 and mod: yield mod, [a.name for a in node.names]
            elif node.level == 1 or mod == 'jang_research': yield from ((pkg(a.name), []) for a in node.names)
            elif mod.startswith('jang_research.'): yield mod.split('.', 1)[1], [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith('jang_research.'): yield a.name.split('.', 1)[1], []
                elif a.name == 'jang_research': yield '__init__', []

def layout_problems(pkg:Path, nbs:Path) -> tuple:
    "(problems, number of modules, number of import edges) of the package folder `pkg` exported from `nbs`."
    order, problems, graph = notebook_order(nbs), [], {}
    mods = {p.stem: p for p in pkg.glob('*.py') if p.stem != '_modidx'}
    for me, path in mods.items():
        for dep, names in imports(path, set(mods)):
            if dep not in mods or dep == me: continue
            graph.setdefault(me, set()).add(dep)
            problems += [f'{me} imports private name {n} from {dep}' for n in names if n.startswith('_')]
            if (order.get(dep) or 0) > (order.get(me) or 0):
                problems.append(f'{me} (notebook {order.get(me)}) imports {dep} from a later notebook ({order.get(dep)})')
    def cycle_from(start):
        stack = [(start, [start])]
        while stack:
            node, seen = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start: return seen + [start]
                if nxt not in seen: stack.append((nxt, seen + [nxt]))
    for m in sorted(graph):
        if c := cycle_from(m): problems.append('import cycle: ' + ' -> '.join(c))
    return problems, len(mods), sum(map(len, graph.values()))

def main() -> int:
    problems, n_mods, n_edges = layout_problems(ROOT/'jang_research', ROOT/'nbs')
    for p in problems: print(p)
    print(f'{n_mods} modules, {n_edges} import edges: ' + ('OK' if not problems else f'{len(problems)} problem(s)'))
    return 1 if problems else 0

if __name__ == '__main__': sys.exit(main())
