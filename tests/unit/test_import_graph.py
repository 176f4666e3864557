"""Every module of ``ibind`` imports in a fresh interpreter, and no two modules import each other (even lazily).

The import graph is read from the source with ``ast``: every ``import``/``from ... import`` of an ``ibind``
module counts, at module level or inside a function (a lazy import only hides a cycle), and so does a
``LazyModule('ibind...')``, except under
``if TYPE_CHECKING:`` (never executed). A package importing its own submodules in ``__init__`` is the
normal way to re-export names and is not an edge back from the submodule to the package.
"""

import ast
import os
import subprocess
import sys
from typing import Dict, List, Optional, Set

import ibind

PACKAGE_DIR = os.path.dirname(os.path.abspath(ibind.__file__))
ROOT = os.path.dirname(PACKAGE_DIR)


def module_files() -> Dict[str, str]:
    """{dotted module name: file path} of every module under ibind/."""
    found = {}
    for directory, _, files in os.walk(PACKAGE_DIR):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(directory, name)
            parts = os.path.relpath(path, ROOT)[:-3].split(os.sep)
            if parts[-1] == '__init__':
                parts = parts[:-1]
            found['.'.join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == 'TYPE_CHECKING') or (
        isinstance(test, ast.Attribute) and test.attr == 'TYPE_CHECKING'
    )


def _imports(tree: ast.AST, module: str, is_package: bool, modules: Set[str]) -> Set[str]:
    """The ibind modules ``module`` imports (resolving ``from pkg import submodule`` to the submodule)."""
    targets: Set[str] = set()
    package = module if is_package else module.rpartition('.')[0]

    def resolve(name: Optional[str], level: int) -> str:
        if not level:
            return name or ''
        base = package.split('.')
        base = base[: len(base) - (level - 1)]
        return '.'.join(base + ([name] if name else []))

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    targets.add(alias.name)
        elif isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'LazyModule' and node.args:
            name = getattr(node.args[0], 'value', None)  # LazyModule('ibind.x') imports ibind.x on first use
            if name in modules:
                targets.add(name)
        elif isinstance(node, ast.ImportFrom):
            source = resolve(node.module, node.level)
            for alias in node.names:
                submodule = f'{source}.{alias.name}'
                if submodule in modules:
                    targets.add(submodule)
                elif source in modules:
                    targets.add(source)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    targets.discard(module)
    # a package's __init__ importing its own submodules is re-export, not a dependency back
    return {t for t in targets if not module.startswith(t + '.')}


def import_graph() -> Dict[str, Set[str]]:
    files = module_files()
    modules = set(files)
    graph = {}
    for module, path in files.items():
        with open(path, encoding='utf-8') as file:
            tree = ast.parse(file.read(), path)
        graph[module] = _imports(tree, module, path.endswith('__init__.py'), modules)
    return graph


def find_cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected components with more than one module (Tarjan), each as a sorted list."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    cycles: List[List[str]] = []
    counter = [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return cycles


def test_no_import_cycles_in_ibind():
    cycles = find_cycles(import_graph())
    assert not cycles, 'import cycles (modules that import each other, directly or around a loop):\n' + '\n'.join(
        ' <-> '.join(cycle) for cycle in cycles
    )


def test_the_cycle_check_sees_a_cycle():
    graph = {'ibind.a': {'ibind.b'}, 'ibind.b': {'ibind.c'}, 'ibind.c': {'ibind.a'}, 'ibind.d': {'ibind.a'}}
    assert find_cycles(graph) == [['ibind.a', 'ibind.b', 'ibind.c']]


def test_lazy_imports_count_and_type_checking_imports_do_not():
    source = (
        'from typing import TYPE_CHECKING\n'
        'if TYPE_CHECKING:\n    from ibind.x import Thing\n'
        "else:\n    w = LazyModule('ibind.w')\n"
        'def later():\n    from ibind.y import other\n'
    )
    found = _imports(ast.parse(source), 'ibind.z', False, {'ibind.w', 'ibind.x', 'ibind.y', 'ibind.z'})
    assert found == {'ibind.y', 'ibind.w'}


def test_every_module_imports_in_a_fresh_interpreter():
    names = sorted(name for name in module_files() if not name.endswith('__main__'))
    code = (
        'import importlib, sys\n'
        'failed = []\n'
        f'for name in {names!r}:\n'
        '    try:\n        importlib.import_module(name)\n'
        '    except Exception as error:\n        failed.append(f"{name}: {type(error).__name__}: {error}")\n'
        'print("\\n".join(failed)); sys.exit(1 if failed else 0)\n'
    )
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(names) > 50
