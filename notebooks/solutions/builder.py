"""What the notebook builder scripts (make_08.py, make_09.py) share: assemble, run, write.

A builder keeps a notebook as one list of ``(kind, source, worked solution or None)`` cells;
the solution notebook itself is kept in the shared format by ``sync.py`` (see
notebooks/README.md, "Exercises").
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}


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
