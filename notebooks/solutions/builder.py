"""What the notebook builder scripts (make_08.py, make_09.py) share: cells, assemble, run, write.

A builder keeps a notebook as one list of ``(kind, source, worked solution or None)`` cells;
the solution notebook itself is kept in the shared format by ``sync.py`` (see
notebooks/README.md, "Exercises").
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}


class Cells(list):
    """A notebook's cells in order, each ``(kind, source, worked solution or None)``."""

    def md(self, text: str) -> None:
        """Append a markdown cell."""
        self.append(("markdown", textwrap.dedent(text).strip(), None))

    def code(self, text: str, solution: str | None = None) -> None:
        """Append a code cell; ``solution`` is its worked answer (the solved cell of sync.py)."""
        worked = None if solution is None else textwrap.dedent(solution).strip()
        self.append(("code", textwrap.dedent(text).strip(), worked))


def assemble(cells: list[tuple[str, str, str | None]]) -> nbformat.NotebookNode:
    """The student's notebook from a builder's cells (stubs as written, solutions left out)."""
    made = [
        nbformat.v4.new_markdown_cell(source)
        if kind == "markdown"
        else nbformat.v4.new_code_cell(source)
        for kind, source, _ in cells
    ]
    nb = nbformat.v4.new_notebook(cells=made)
    nb.metadata = KERNEL_METADATA
    return nb


def execute(nb: nbformat.NotebookNode) -> None:
    """Run ``nb`` in full mode in a temporary folder; keep outputs, drop execution timings."""
    with tempfile.TemporaryDirectory() as folder:
        client = NotebookClient(
            nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": folder}}
        )
        client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Validate and write ``nb``, formatted by ruff as the repository's code is."""
    nbformat.validate(nb)
    nbformat.write(nb, path)
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(path)], check=True)
    print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB)", file=sys.stderr)


def build(cells: Cells, path: Path, argv: list[str] | None = None) -> None:
    """Write the student notebook ``path`` from ``cells`` (``--execute``: run it in full mode).

    The worked solution is kept in the shared format (notebooks/README.md, "Exercises"):
    ``python notebooks/solutions/sync.py NAME`` refreshes it after a rebuild.
    """
    parser = argparse.ArgumentParser(description=f"Build {path.name} from its list of cells.")
    parser.add_argument("--execute", action="store_true", help="run it in full mode")
    args = parser.parse_args(argv)
    nb = assemble(cells)
    if args.execute:
        execute(nb)
    write(nb, path)
