"""The package's import graph follows the book: a module imports only modules of its own or EARLIER notebooks (file-name order
in nbs/), and only at module level. Then there is no import cycle, and a notebook's prose never leans on one not yet read."""
import ast, re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG, NBS = ROOT / 'binas', ROOT / 'nbs'

# Known offenders, (importing module, imported module): each is a function-local import (marked 'local') and/or one of a LATER
# notebook's module (marked 'later'). They predate this test; fix one, delete its line — the test fails on a stale entry too.
KNOWN = {}   # none left

def notebook_order()->list[str]:
    "Notebook stems in file-name order (the book's order)."
    return sorted(p.stem for p in NBS.glob('[0-9]*.ipynb'))

def module_notebook(path:Path)->str|None:
    "The notebook a generated module is exported from (its `File to edit` header), None for hand-written ones."
    m = re.search(r'File to edit: \.\./nbs/(\S+)\.ipynb', path.read_text())
    return m.group(1) if m else None

def binas_imports(path:Path)->list[tuple[str, bool]]:
    "(imported binas module, imported inside a function or class?) for every import of a binas module in `path`."
    tree, out = ast.parse(path.read_text()), []
    def visit(node, local):
        for ch in ast.iter_child_nodes(node):
            inner = local or isinstance(ch, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
            if isinstance(ch, ast.ImportFrom):
                if ch.level == 1 and ch.module: out.append((ch.module.split('.')[0], local))
                elif ch.level == 1: out.extend((a.name, local) for a in ch.names)
                elif ch.module and ch.module.split('.')[0] == 'binas':
                    parts = ch.module.split('.')
                    out.extend([(parts[1], local)] if len(parts) > 1 else [(a.name, local) for a in ch.names])
            elif isinstance(ch, ast.Import):
                out.extend((a.name.split('.')[1], local) for a in ch.names if a.name.startswith('binas.'))
            visit(ch, inner)
    visit(tree, False)
    return out

def violations()->dict[tuple[str, str], str]:
    order = {nb: i for i, nb in enumerate(notebook_order())}
    nb_of = {p.stem: module_notebook(p) for p in PKG.glob('*.py')}
    found = {}
    for p in sorted(PKG.glob('*.py')):
        if nb_of[p.stem] is None: continue   # __init__ (imports modules for their registrations) and _modidx
        for mod, local in binas_imports(p):
            assert mod in nb_of, f'{p.name} imports binas.{mod}, which does not exist'
            why = []
            if local: why.append('local')
            if nb_of[mod] is not None and order[nb_of[mod]] > order[nb_of[p.stem]]: why.append('later')
            if why: found[p.stem, mod] = ' '.join(sorted(set(found.get((p.stem, mod), '').split()) | set(why)))
    return found

def test_notebook_modules_are_known():
    for p in PKG.glob('*.py'):
        nb = module_notebook(p)
        assert nb is None or (NBS / f'{nb}.ipynb').exists(), f'{p.name} names notebook {nb}, which does not exist'

def test_imports_follow_the_book():
    found = violations()
    new = {k: v for k, v in found.items() if k not in KNOWN or set(v.split()) - set(KNOWN[k].split())}
    assert not new, f'imports against the notebook order or inside functions (module, imported): {new}'
    stale = {k: v for k, v in KNOWN.items() if k not in found}
    assert not stale, f'allow-listed imports that are gone: delete them from KNOWN: {stale}'

@pytest.mark.parametrize('name', ['bilinear', 'search', 'solvers', 'search_cli', 'latency', 'calibrate'])
def test_split_search_modules_are_clean(name):
    "The modules of the search split and of the latency split: no binas import inside a function, none of a later notebook."
    assert not {k: v for k, v in violations().items() if k[0] == name}

def test_detects_local_and_later(tmp_path):
    p = tmp_path / 'x.py'
    p.write_text('from .core import a\nimport binas.space\ndef f():\n    from binas.search import b\n')
    assert binas_imports(p) == [('core', False), ('space', False), ('search', True)]

def private_imports(path:Path)->set[tuple[str, str]]:
    "(binas module, private name) of every `_name` `path` imports from another binas module."
    out = set()
    for n in ast.walk(ast.parse(path.read_text())):
        if isinstance(n, ast.ImportFrom) and (n.level == 1 or (n.module or '').startswith('binas.')) and n.module:
            out |= {(n.module.split('.')[-1], a.name) for a in n.names if a.name.startswith('_')}
    return out

KNOWN_PRIVATE = set()   # (importing module, (imported module, name)): known offenders; make the name public (or move it)

def test_no_private_names_across_modules():
    found = {(p.stem, x) for p in PKG.glob('*.py') if module_notebook(p) for x in private_imports(p)}
    assert found == set(KNOWN_PRIVATE), f'private names used from another module: {found - set(KNOWN_PRIVATE)}'
