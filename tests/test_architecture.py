"""The structure the README describes, checked: the import-linter contracts, no import cycle between
any two modules, and imports inside functions only where the application is built."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "dashboard"
# The application factory imports what it wires when it runs; `make run`'s entry point builds the app.
FUNCTION_IMPORTS_ALLOWED = {("dashboard/__init__.py", None), ("dashboard/jobs/devserver.py", "main")}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_two_modules_import_each_other_even_indirectly():
    graph = grimp.build_graph("dashboard", cache_dir=None)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _cycles(edges) == []


def test_the_import_contracts_hold():
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "5 kept, 0 broken" in result.stdout


def _function_imports(path: Path) -> list[tuple[str, str]]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    out.append((node.name, ast.unparse(inner)))
    return out


def test_imports_inside_functions_only_where_the_app_is_built():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for function, statement in _function_imports(path):
            if (rel, None) in FUNCTION_IMPORTS_ALLOWED or (rel, function) in FUNCTION_IMPORTS_ALLOWED:
                continue
            offenders.append(f"{rel}:{function}: {statement}")
    assert offenders == []


def _layout_map() -> str:
    """The README's layout map: the fenced block under "### Layout"."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Layout"):]
    return section[section.index("```") + 3:section.index("```", section.index("```") + 3)]


def test_the_readme_layout_map_names_every_package_and_module():
    layout = _layout_map()
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.parent.name + "/" if path.name == "__init__.py" and path.parent != PACKAGE else path.name
        if name not in layout:
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"the README's layout map does not mention {missing}"
