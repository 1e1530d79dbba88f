"""Keep each solution notebook in step with its notebook.

    python notebooks/solutions/sync.py 01_computation_graphs [02_tensors ...]

A solution notebook ``solutions/NN_name.ipynb`` holds only what the student writes. It is built
from its notebook ``NN_name.ipynb`` like this:

1. a markdown cell naming the notebook, and a code cell ``run_notebook("../NN_name.ipynb")``
   that runs the whole notebook quietly (stubs and all), so everything it defines is there;
2. for each *stub cell* of the notebook (a code cell defining a function whose body is only a
   docstring and ``raise NotImplementedError``), in the notebook's order: the markdown cell just
   before it (the exercise's statement), the **solved cell** (the same functions, written), and
   every check cell (a code cell calling ``check(``) between it and the next stub cell, verbatim.

The solved cells are the only hand-written part: this script keeps them from the existing
solution notebook (matched by the first stub function each defines) and rebuilds everything else
from the notebook, so a changed statement or check is copied over. A stub with no solved cell
yet is copied as it stands, to be filled in. Outputs are cleared: execute the solution
afterwards. ``tests/test_notebooks.py`` fails when a solution notebook is out of step.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat

SOLUTIONS = Path(__file__).resolve().parent
NOTEBOOKS = SOLUTIONS.parent


def _python(source: str) -> str:
    """The cell as Python: IPython magics and shell lines become blank lines."""
    return "\n".join("" if line.lstrip()[:1] in "%!" else line for line in source.splitlines())


def _is_stub(function: ast.FunctionDef) -> bool:
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def functions(source: str) -> dict[str, ast.FunctionDef]:
    """The top-level functions a code cell defines, by name."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return {}
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def stubs(source: str) -> list[str]:
    """The names of the stub functions a code cell defines, in order."""
    return [name for name, node in functions(source).items() if _is_stub(node)]


def signature(function: ast.FunctionDef) -> list[str]:
    """The argument names of a function, positional and keyword."""
    args = function.args
    return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]


def is_check(cell: nbformat.NotebookNode) -> bool:
    """A code cell that calls ``check(``."""
    return cell.cell_type == "code" and "check(" in cell.source


def stub_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of the notebook's code cells that define stubs."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and stubs(c.source)]


def run_cell_source(name: str) -> str:
    """The solution's first code cell: run the notebook, quietly."""
    return (
        "# ruff: noqa: F821 (the names used below are defined by the notebook this cell runs)\n"
        f'from chaingrad.teach import run_notebook\n\nrun_notebook("../{name}.ipynb")'
    )


def build(nb: nbformat.NotebookNode, name: str, solved: dict[str, str]) -> nbformat.NotebookNode:
    """The solution notebook of ``nb`` given the solved cells' sources by first stub name."""
    title = nb.cells[0].source.splitlines()[0].lstrip("# ").strip()
    cells = [
        nbformat.v4.new_markdown_cell(
            f"# Solutions · {title}\n\nThe worked solutions of `{name}.ipynb`. The first cell "
            "runs that notebook quietly, so everything it defines is here; then each exercise's "
            "statement, its solution and the notebook's own check cells follow.\n\n"
            "Try the exercises yourself before you read on."
        ),
        nbformat.v4.new_code_cell(run_cell_source(name)),
    ]
    indices = stub_cells(nb)
    for k, index in enumerate(indices):
        cell = nb.cells[index]
        if index > 0 and nb.cells[index - 1].cell_type == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(nb.cells[index - 1].source))
        cells.append(nbformat.v4.new_code_cell(solved.get(stubs(cell.source)[0], cell.source)))
        end = indices[k + 1] if k + 1 < len(indices) else len(nb.cells)
        cells += [
            nbformat.v4.new_code_cell(c.source) for c in nb.cells[index + 1 : end] if is_check(c)
        ]
    return nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)


def solved_cells(solution: nbformat.NotebookNode) -> dict[str, str]:
    """The solved cells of a solution notebook, by the name of each function they define."""
    found: dict[str, str] = {}
    for cell in solution.cells[2:]:
        if cell.cell_type == "code" and not is_check(cell) and not stubs(cell.source):
            for name in functions(cell.source):
                found.setdefault(name, cell.source)
    return found


def sync(name: str) -> Path:
    """Rebuild ``solutions/<name>.ipynb`` from ``<name>.ipynb`` and its existing solved cells."""
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    path = SOLUTIONS / f"{name}.ipynb"
    old = nbformat.read(path, as_version=4) if path.exists() else nbformat.v4.new_notebook()
    solution = build(nb, name, solved_cells(old))
    for index in stub_cells(solution):
        missing = ", ".join(stubs(solution.cells[index].source))
        print(f"{name}: cell {index} is still a stub ({missing}): write its solution there")
    nbformat.write(solution, path)
    return path


if __name__ == "__main__":
    for argument in sys.argv[1:] or sorted(p.stem for p in SOLUTIONS.glob("*.ipynb")):
        print("wrote", sync(Path(argument).stem))
