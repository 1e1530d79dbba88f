"""The teaching notebooks run from top to bottom, are committed executed, and stay small; their
exercises have worked solutions that pass their checks.

Each notebook and each solution notebook (``notebooks/solutions/``) is executed in a fresh
"python3" kernel (nbclient) in quick mode: ``CHAINGRAD_QUICK=1`` makes the notebooks shrink their
data and epochs. The kernel imports this checkout (``PYTHONPATH`` is set to the repository root)
and runs in a temporary directory, so files a notebook writes do not land in the repository.
Solutions run with ``CHAINGRAD_STRICT_CHECKS=1``, so a failing ``check`` fails the test; a
notebook's own ``assert``s beside the numbers its text quotes fail it when a number drifts. Each
notebook has ``NOTEBOOK_TIMEOUT`` seconds; sixteen notebooks at that bound stay under 25 minutes.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import io
import json
import os
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
ALL_NOTEBOOKS = NOTEBOOKS + SOLUTIONS
# notebooks whose exercises (stubs, checks, solutions) are still to be written: each must leave
# this set when its stubs arrive (a test below fails until it does)
EXERCISES_PENDING: set[str] = set()
MIN_EXERCISES = 2  # stub functions per notebook
NOTEBOOK_TIMEOUT = 80  # seconds per notebook in quick mode (each takes well under 30 here)
MAX_TOTAL_BYTES = 5_000_000
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _load_sync():
    """``notebooks/solutions/sync.py``: the one definition of stubs and of a solution's cells."""
    spec = importlib.util.spec_from_file_location("sync", ROOT / "notebooks/solutions/sync.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sync = _load_sync()


def _ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.stem}" if p.parent.name == "solutions" else p.stem for p in paths]


def _first_line(cell: nbformat.NotebookNode) -> str:
    lines = [line for line in cell.source.splitlines() if line.strip()]
    return lines[0] if lines else "<empty cell>"


def _failure_report(path: Path, nb: nbformat.NotebookNode, error: CellExecutionError) -> str:
    """Name the notebook and the failing cell (counted from 0, markdown cells included)."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                traceback = ANSI.sub("", "\n".join(output.get("traceback", [])))
                return (
                    f"{path.name}, cell {index} ({_first_line(cell)!r}) raised "
                    f"{output.get('ename')}: {output.get('evalue')}\n{traceback}"
                )
    return f"{path.name}: {ANSI.sub('', str(error))}"


def test_the_notebooks_are_there():
    assert NOTEBOOKS, "no notebooks found in notebooks/"
    assert SOLUTIONS, "no solution notebooks found in notebooks/solutions/"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=_ids(ALL_NOTEBOOKS))
def test_notebook_runs_in_quick_mode(path, tmp_path, monkeypatch):
    """Runs top to bottom in quick mode; a solution's checks all pass (strict mode), and a
    notebook's own checks report unwritten stubs, never a wrong answer."""
    solution = path.parent.name == "solutions"
    monkeypatch.setenv("CHAINGRAD_QUICK", "1")
    monkeypatch.setenv("CHAINGRAD_NOTEBOOKS", str(ROOT / "notebooks"))  # for run_notebook
    if solution:
        monkeypatch.setenv("CHAINGRAD_STRICT_CHECKS", "1")
    else:
        monkeypatch.delenv("CHAINGRAD_STRICT_CHECKS", raising=False)
    pythonpath = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), pythonpath])))
    nb = _read(path)
    running: list[int] = []

    def on_cell_start(cell: nbformat.NotebookNode, cell_index: int) -> None:
        running.append(cell_index)

    client = NotebookClient(
        nb,
        timeout=NOTEBOOK_TIMEOUT,  # per cell; the whole notebook has the same budget below
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working directory
        on_cell_start=on_cell_start,
    )

    async def execute() -> None:
        await asyncio.wait_for(client.async_execute(), NOTEBOOK_TIMEOUT)

    failure = None
    start = time.monotonic()
    try:
        asyncio.run(execute())
    except CellExecutionError as error:
        failure = _failure_report(path, nb, error)
    except (asyncio.TimeoutError, CellTimeoutError, DeadKernelError) as error:
        where = f"cell {running[-1]} ({_first_line(nb.cells[running[-1]])!r})" if running else ""
        if time.monotonic() - start >= NOTEBOOK_TIMEOUT:
            failure = f"{path.name} did not finish within {NOTEBOOK_TIMEOUT} s: stopped in {where}"
        else:
            failure = f"{path.name}, {where}: the kernel died ({type(error).__name__}: {error})"
    if failure is None and not solution:
        failure = _wrong_check(path, nb)
    if failure is not None:  # failed outside the except block: no chained traceback
        pytest.fail(failure, pytrace=False)


def _wrong_check(path: Path, nb: nbformat.NotebookNode) -> str | None:
    """A check that says ✗ in a student notebook compares something other than a stub."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines():
                if line.startswith("✗"):
                    return (
                        f"{path.name}, cell {index}: a check fails with the stubs unwritten: {line}"
                    )
    return None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_structure(path):
    nb = _read(path)
    nbformat.validate(nb)
    assert nb.cells and nb.cells[0].cell_type == "markdown", (
        f"{path.name} must open with a markdown cell saying what it teaches"
    )
    headings = [
        line
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if re.match(r"#{1,6}\s+Exercises\b", line)
    ]
    assert headings, f"{path.name} has no 'Exercises' heading"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=_ids(ALL_NOTEBOOKS))
def test_notebook_is_committed_executed(path):
    """Committed with the outputs of a run, so it reads well on GitHub, and without errors."""
    nb = _read(path)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", path.name
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        assert cell.execution_count is not None, f"{path.name}, cell {index} was not executed"
        kinds = [output.get("output_type") for output in cell.outputs]
        assert "error" not in kinds, f"{path.name}, cell {index} has an error output"


def test_notebooks_stay_small():
    sizes = {"/".join(_ids([path])): path.stat().st_size for path in ALL_NOTEBOOKS}
    total = sum(sizes.values())
    assert total < MAX_TOTAL_BYTES, (
        f"the notebooks take {total / 1e6:.2f} MB, more than {MAX_TOTAL_BYTES / 1e6:.0f} MB: "
        f"{json.dumps(sizes)}"
    )


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=_ids(ALL_NOTEBOOKS))
def test_figures_are_shrunk(path):
    """Every PNG output went through ``notebooks/shrink_figures.py`` (a 256-colour palette)."""
    from PIL import Image

    nb = _read(path)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            raw = output.get("data", {}).get("image/png")
            if raw is None:
                continue
            mode = Image.open(io.BytesIO(base64.b64decode(raw))).mode
            assert mode == "P", (
                f"{path.name}, cell {index}: a {mode} PNG; run "
                f"`python notebooks/shrink_figures.py {path.relative_to(ROOT)}`"
            )


def _stubs(nb: nbformat.NotebookNode) -> list[str]:
    return [name for i in sync.stub_cells(nb) for name in sync.stubs(nb.cells[i].source)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_has_exercises_with_solutions(path):
    """2-4 exercises with stubs, and a solution notebook in step with the notebook: built by
    ``notebooks/solutions/sync.py`` from it, every stub solved under the same signature."""
    nb = _read(path)
    stubs = _stubs(nb)
    solution_path = ROOT / "notebooks" / "solutions" / path.name
    if path.stem in EXERCISES_PENDING:
        assert not stubs and not solution_path.exists(), (
            f"{path.name} now has exercises: remove it from EXERCISES_PENDING in "
            "tests/test_notebooks.py"
        )
        return
    assert len(stubs) >= MIN_EXERCISES, (
        f"{path.name} has {len(stubs)} exercise stubs, fewer than {MIN_EXERCISES}"
    )
    assert solution_path.exists(), f"{path.name} has no solution notebook {solution_path}"
    solution = _read(solution_path)
    unsolved = _stubs(solution)
    assert not unsolved, f"solutions/{path.name} leaves {unsolved} unsolved"
    solved = sync.solved_cells(solution)
    missing = [name for name in stubs if name not in solved]
    assert not missing, f"solutions/{path.name} has no solution for {missing}"
    for index in sync.stub_cells(nb):
        for name, stub in sync.functions(nb.cells[index].source).items():
            if name in stubs:
                answer = sync.functions(solved[name])[name]
                assert sync.signature(answer) == sync.signature(stub), (
                    f"solutions/{path.name}: {name} takes {sync.signature(answer)}, but the "
                    f"notebook's stub takes {sync.signature(stub)}"
                )
    expected = sync.build(nb, path.stem, solved)
    actual = [(c.cell_type, c.source) for c in solution.cells]
    wanted = [(c.cell_type, c.source) for c in expected.cells]
    if actual != wanted:
        first = next(
            (i for i, (a, w) in enumerate(zip(actual, wanted)) if a != w),
            min(len(actual), len(wanted)),
        )
        pytest.fail(
            f"solutions/{path.name} is out of step with {path.name} from its cell {first} on: run "
            f"`python notebooks/solutions/sync.py {path.stem}`, then execute the solution",
            pytrace=False,
        )


def test_every_solution_has_its_notebook():
    names = {p.name for p in NOTEBOOKS}
    orphans = [p.name for p in SOLUTIONS if p.name not in names]
    assert not orphans, f"solution notebooks without a notebook: {orphans}"


def test_fit_shows_progress_in_jupyter_by_default(tmp_path):
    """In a notebook kernel, ``fit`` with no ``progress=`` argument shows its progress: a widget
    where ipywidgets is installed, else one line per epoch in the cell's output."""
    code = (
        "import chaingrad as cg\n"
        "import chaingrad.nn as nn\n"
        "import chaingrad.nn.functional as F\n"
        "from chaingrad.nn.train import fit\n"
        "from chaingrad.utils.data import DataLoader, TensorDataset\n"
        "cg.manual_seed(0)\n"
        "x, y = cg.randn(64, 4), cg.randint(0, 2, (64,))\n"
        "model = nn.Linear(4, 2)\n"
        "loader = DataLoader(TensorDataset(x, y), batch_size=16)\n"
        "history = fit(model, F.cross_entropy, cg.optim.SGD(model.parameters(), lr=0.1), "
        "loader, loader, epochs=2)\n"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(
        nb,
        timeout=NOTEBOOK_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = nb.cells[0].outputs
    shown = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    widgets = [
        o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert widgets or ("epoch 1/2" in shown and "epoch 2/2" in shown), outputs
