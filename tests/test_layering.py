"""The import graph of the package, read from the sources with ``ast``: layers and no circles.

Every import counts, wherever it stands: at module level, inside a function (a lazy import is
still a dependency) or under ``if TYPE_CHECKING:``. The rules:

- ``kernels`` imports neither ``autograd`` nor ``nn`` (plain NumPy in, plain NumPy out);
- ``autograd`` never imports ``nn``;
- ``nn`` outside ``nn/app`` never imports ``nn.app`` (the application sits on the library);
- ``nn`` uses ``autograd``'s public surface: ``chaingrad.autograd``, its ``functional`` module
  and ``draw`` (for ``nn.graph``), and no name that starts with an underscore;
- nothing in the package imports ``benchmarks``, or a folder by its bare name (``autograd``,
  ``nn`` and ``kernels`` are other projects' names once installed);
- no circle of imports inside ``nn`` or ``kernels``. (``autograd`` keeps one on purpose:
  ``Tensor``'s methods call the ops, and the ops build ``Tensor`` nodes.)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

# repository folder -> the importable name it installs as (pyproject's package-dir mapping)
PACKAGES = {
    "chaingrad": "chaingrad",
    "autograd": "chaingrad.autograd",
    "nn": "chaingrad.nn",
    "kernels": "chaingrad.kernels",
    "benchmarks": "benchmarks",
}
BARE_NAMES = ("autograd", "nn", "kernels")
AUTOGRAD_SURFACE = (
    "chaingrad.autograd",
    "chaingrad.autograd.functional",
    "chaingrad.autograd.draw",
    "chaingrad.autograd.random",  # the default generator that manual_seed seeds
    "chaingrad.autograd.dtypes",
    "chaingrad.autograd.devices",
    "chaingrad.autograd.files",
    "chaingrad.autograd.scopes",  # Module.__call__ pushes the call that stamps graph nodes
)


def _modules(root: Path) -> dict[str, Path]:
    """Every module of the repository's packages by its dotted import name."""
    modules = {}
    for folder, name in PACKAGES.items():
        for path in sorted((root / folder).rglob("*.py")):
            parts = [p for p in path.relative_to(root / folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([name, *parts])] = path
    return modules


def _imports(module: str, path: Path, known: set[str]) -> Iterator[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import statement in the file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, "", node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    yield submodule, "", node.lineno
                else:
                    yield base, alias.name, node.lineno


def import_graph(root: Path) -> tuple[dict[str, set[str]], list[tuple[str, str, str, int]]]:
    """Edges between the repository's own modules, and every import as (importer, module, name,
    line) for the rules that look at names or at modules outside the repository."""
    modules = _modules(root)
    known = set(modules)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    every: list[tuple[str, str, str, int]] = []
    for module, path in modules.items():
        for target, name, line in _imports(module, path, known):
            every.append((module, target, name, line))
            if target in known and target != module:
                graph[module].add(target)
    return graph, every


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
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


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.fixture(scope="module")
def graph_and_imports() -> tuple[dict[str, set[str]], list[tuple[str, str, str, int]]]:
    return import_graph(REPO_ROOT)


def _violations(imports, importer_in, target_in, exempt=()) -> list[str]:
    return [
        f"{importer} imports {target}{'.' + name if name else ''} (line {line})"
        for importer, target, name, line in imports
        if _within(importer, importer_in)
        and not any(_within(importer, e) for e in exempt)
        and _within(target, target_in)
    ]


def test_kernels_import_neither_autograd_nor_nn(graph_and_imports):
    _, imports = graph_and_imports
    bad = _violations(imports, "chaingrad.kernels", "chaingrad.autograd")
    bad += _violations(imports, "chaingrad.kernels", "chaingrad.nn")
    assert not bad, "kernels must stay below the engine: " + "; ".join(bad)


def test_autograd_never_imports_nn(graph_and_imports):
    _, imports = graph_and_imports
    bad = _violations(imports, "chaingrad.autograd", "chaingrad.nn")
    assert not bad, "the engine must not know the layers: " + "; ".join(bad)


def test_the_nn_library_never_imports_the_app(graph_and_imports):
    _, imports = graph_and_imports
    bad = _violations(imports, "chaingrad.nn", "chaingrad.nn.app", exempt=("chaingrad.nn.app",))
    assert not bad, "nn (outside nn/app) must not import nn.app: " + "; ".join(bad)


def test_nothing_in_the_package_imports_benchmarks(graph_and_imports):
    _, imports = graph_and_imports
    bad = [
        v
        for package in ("chaingrad", "chaingrad.autograd", "chaingrad.nn", "chaingrad.kernels")
        for v in _violations(imports, package, "benchmarks")
    ]
    assert not bad, "benchmarks are not installed: " + "; ".join(bad)


def test_no_import_names_a_folder_by_its_bare_name(graph_and_imports):
    _, imports = graph_and_imports
    bad = [
        f"{importer} imports {target} (line {line}): write chaingrad.{target}"
        for importer, target, _, line in imports
        if target.split(".")[0] in BARE_NAMES
    ]
    assert not bad, "; ".join(bad)


def test_nn_uses_only_the_public_surface_of_autograd(graph_and_imports):
    _, imports = graph_and_imports
    bad = [
        f"{importer} imports {target}{'.' + name if name else ''} (line {line})"
        for importer, target, name, line in imports
        if _within(importer, "chaingrad.nn")
        and _within(target, "chaingrad.autograd")
        and (target not in AUTOGRAD_SURFACE or name.startswith("_"))
    ]
    assert not bad, (
        "nn imports from chaingrad.autograd and its public modules " + str(AUTOGRAD_SURFACE) + ", "
        "and no private names: " + "; ".join(bad)
    )


@pytest.mark.parametrize("package", ["chaingrad.nn", "chaingrad.kernels"])
def test_no_circular_imports(graph_and_imports, package):
    graph, _ = graph_and_imports
    inside = {m: {t for t in ts if _within(t, package)} for m, ts in graph.items()}
    inside = {m: ts for m, ts in inside.items() if _within(m, package)}
    found = circles(inside)
    assert not found, f"import circles in {package}: " + "; ".join(
        " -> ".join([*c, c[0]]) for c in found
    )


def test_the_checker_finds_a_circle_a_lazy_import_and_a_broken_rule(tmp_path):
    # a tiny tree in the repository's layout: kernels -> autograd (inside a function), and
    # nn.a -> nn.b -> nn.a (one side under TYPE_CHECKING): both must be seen
    for folder in PACKAGES:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "kernels" / "k.py").write_text("def f():\n    import chaingrad.autograd.x\n")
    (tmp_path / "autograd" / "x.py").write_text("")
    (tmp_path / "nn" / "a.py").write_text("from chaingrad.nn import b\n")
    (tmp_path / "nn" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import thing\n"
    )
    graph, imports = import_graph(tmp_path)
    assert circles(graph) == [["chaingrad.nn.a", "chaingrad.nn.b"]]
    assert _violations(imports, "chaingrad.kernels", "chaingrad.autograd") == [
        "chaingrad.kernels.k imports chaingrad.autograd.x (line 2)"
    ]
