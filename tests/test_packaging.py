"""The wheel holds one package, ``chaingrad``, and lives beside HIPS autograd in either order.

The wheel is built from the checkout as CI would install it (no build isolation: setuptools
comes with the ``test`` extra). The coexistence tests fetch HIPS ``autograd`` from the package
index; without network they skip and say so.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    from pip._vendor import tomli as tomllib


def _pip(*args: str, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = _pip(
        "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO_ROOT)
    )
    assert result.returncode == 0, f"pip wheel failed:\n{result.stderr[-2000:]}"
    (path,) = out.glob("chaingrad-*.whl")
    return path


@pytest.fixture(scope="module")
def hips_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hips")
    result = _pip("download", "--no-deps", "--only-binary", ":all:", "-d", str(out), "autograd")
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"HIPS autograd could not be downloaded from the package index: {last}")
    (path,) = out.glob("autograd-*.whl")
    return path


def test_the_wheel_holds_chaingrad_and_its_dist_info_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"chaingrad", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}
    for module in ("chaingrad/__init__.py", "chaingrad/autograd/functional.py"):
        assert module in names
    for module in (
        "chaingrad/kernels/conv/op.py",
        "chaingrad/kernels/recurrent/fast.py",
        "chaingrad/nn/app/cli.py",
    ):
        assert module in names
    assert "chaingrad/nn/data_files/digits.npz" in names, "the digits must ship in the wheel"
    assert not [n for n in names if "tests/" in n or "benchmarks/" in n]


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    assert setuptools["package-dir"] == {
        "chaingrad": "chaingrad",
        "chaingrad.autograd": "autograd",
        "chaingrad.nn": "nn",
        "chaingrad.kernels": "kernels",
    }
    found = set()
    for name, folder in setuptools["package-dir"].items():
        for init in (REPO_ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(REPO_ROOT / folder).parts
            found.add(".".join([name, *parts]))
    missing = sorted(found - set(setuptools["packages"]))
    assert not missing, f"folders with an __init__.py that the wheel would leave out: {missing}"


# the HIPS side computes d/dx sin(x)·x at 1; the chaingrad side takes one SGD step on a tiny MLP
HIPS = """
import autograd, autograd.numpy as anp
assert autograd.__file__.startswith({target!r}), autograd.__file__
g = autograd.grad(lambda x: anp.sin(x) * x)(1.0)
assert abs(g - (0.8414709848078965 + 0.5403023058681398)) < 1e-12, g
"""
CHAINGRAD = """
import numpy as np, chaingrad, chaingrad.nn as nn, chaingrad.nn.functional as F
assert chaingrad.__file__.startswith({target!r}), chaingrad.__file__
chaingrad.manual_seed(0) if hasattr(chaingrad, "manual_seed") else nn.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
opt = chaingrad.nn.optim.SGD(model.parameters(), lr=0.5)
x = chaingrad.autograd.Tensor(np.random.default_rng(0).standard_normal((8, 3)).astype("float32"))
y = np.array([0, 1] * 4)
losses = []
for _ in range(2):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    losses.append(float(loss.data))
assert losses[1] < losses[0], losses
"""


@pytest.mark.slow
@pytest.mark.parametrize("order", ["chaingrad first", "autograd first"])
@pytest.mark.parametrize("imports", ["import autograd first", "import chaingrad first"])
def test_chaingrad_and_hips_autograd_share_one_site_packages(
    wheel, hips_wheel, tmp_path, order, imports
):
    target = tmp_path / "site"
    wheels = [wheel, hips_wheel] if order == "chaingrad first" else [hips_wheel, wheel]
    for w in wheels:  # one at a time: the second must not clobber or be refused by the first
        result = _pip("install", "--no-deps", "--no-index", "-q", "--target", str(target), str(w))
        assert result.returncode == 0, result.stderr[-2000:]
    hips, ours = HIPS.format(target=str(target)), CHAINGRAD.format(target=str(target))
    script = hips + ours if imports == "import autograd first" else ours + hips
    env = {**os.environ, "PYTHONPATH": str(target)}
    # run outside the checkout so its folders are not on sys.path
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.slow
def test_uninstalling_chaingrad_leaves_hips_autograd_and_no_folders(wheel, hips_wheel, tmp_path):
    venv = tmp_path / "venv"
    # no pip inside (fast): the outer pip installs into it with --python
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
        check=True,
    )
    python = str(venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for w in (hips_wheel, wheel):
        result = _pip("--python", python, "install", "--no-deps", "--no-index", "-q", str(w))
        assert result.returncode == 0, result.stderr[-2000:]
    assert (Path(site) / "chaingrad").is_dir() and (Path(site) / "autograd").is_dir()
    result = _pip("--python", python, "uninstall", "-y", "-q", "chaingrad")
    assert result.returncode == 0, result.stderr[-2000:]
    left = sorted(p.name for p in Path(site).iterdir() if p.name in ("chaingrad", "nn", "kernels"))
    assert left == [], f"uninstalling chaingrad left {left} in site-packages"
    assert (Path(site) / "autograd" / "__init__.py").is_file(), "HIPS autograd must survive"


def test_the_installed_package_works_outside_the_checkout(tmp_path):
    """From a folder where the repository's bare ``nn``/``autograd`` folders are not importable,
    the data files and the command line still work: nothing refers to the bare names."""
    code = (
        "import importlib.util, chaingrad\n"
        "assert importlib.util.find_spec('nn') is None, 'the bare nn folder is importable'\n"
        "x, y = chaingrad.datasets.digits()\n"
        "assert x.shape == (1797, 1, 8, 8)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    cli = subprocess.run(
        [sys.executable, "-m", "chaingrad", "--help"], cwd=tmp_path, capture_output=True, text=True
    )
    assert cli.returncode == 0 and "train" in cli.stdout, cli.stderr
