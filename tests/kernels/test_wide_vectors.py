"""512-bit vectors on AVX-512 CPUs (kernels/runtime.py, ``prefer_wide_vectors``): when numba
is told, what it compiles, and when it is left alone. Each case is a fresh interpreter: the
setting is made once, at import, before numba builds its CPU target."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import llvmlite.binding as ll
import pytest

# what a fresh process reports: the features chaingrad set, those numba's codegen was built
# with, and whether a small loop compiled to 512-bit (zmm) instructions
PROBE = """
import json, sys
{before}
import numpy as np
import chaingrad
from chaingrad.kernels import runtime
from numba.core.registry import cpu_target
import numba

@numba.njit
def axpy(a, x, y):
    for i in range(y.shape[0]):
        y[i] += a * x[i]

axpy(np.float32(2), np.ones(64, np.float32), np.zeros(64, np.float32))
asm = "".join(axpy.inspect_asm().values())
codegen = cpu_target.target_context.codegen()
print(json.dumps({{
    "chosen": runtime._wide_features,
    "codegen": codegen._tm_features,
    "zmm": "zmm" in asm,
    "key_features": runtime._wide_features or numba.config.CPU_FEATURES or "",
}}))
"""

AVX512 = bool(ll.get_host_cpu_features().get("avx512f", False))


def _probe(env: dict[str, str] | None = None, before: str = "") -> dict:
    full = {k: v for k, v in os.environ.items() if k not in _OURS}
    full.update(env or {})
    full["NUMBA_CACHE_DIR"] = _cache_dir()
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(before=before)],
        env=full, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


_OURS = ("CHAINGRAD_WIDE_VECTORS", "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "NUMBA_ENABLE_AVX")
_CACHE: list[str] = []


def _cache_dir() -> str:
    """One scratch numba cache for the probes (their inspect_asm needs code compiled here)."""
    if not _CACHE:
        import tempfile

        _CACHE.append(tempfile.mkdtemp(prefix="chaingrad-wide-"))
    return _CACHE[0]


@pytest.mark.skipif(not AVX512, reason="this CPU has no AVX-512: nothing to widen")
def test_an_avx512_cpu_gets_512_bit_vectors():
    got = _probe()
    assert got["chosen"] is not None and got["chosen"].endswith(",-prefer-256-bit")
    assert got["codegen"] == got["chosen"]  # the code and the cache key agree
    assert got["key_features"] == got["chosen"]  # and so does the warm-up marker's key
    assert got["zmm"]


@pytest.mark.skipif(AVX512, reason="this CPU has AVX-512")
def test_a_cpu_without_avx512_is_left_alone():
    got = _probe()
    assert got["chosen"] is None and "prefer-256-bit" not in got["codegen"]


@pytest.mark.parametrize(
    "env",
    [
        {"CHAINGRAD_WIDE_VECTORS": "0"},
        {"NUMBA_ENABLE_AVX": "0"},
    ],
)
def test_the_opt_outs_leave_numba_alone(env):
    got = _probe(env)
    assert got["chosen"] is None
    assert "prefer-256-bit" not in got["codegen"]


def test_features_of_the_users_own_are_kept():
    own = ll.get_host_cpu_features().flatten()
    got = _probe({"NUMBA_CPU_FEATURES": own})
    assert got["chosen"] is None and got["codegen"] == own


def test_numba_compiling_before_chaingrad_is_imported_is_left_alone():
    before = "import numba\nnumba.njit(lambda v: v + 1)(1)"  # builds numba's CPU target first
    got = _probe(before=before)
    assert got["chosen"] is None
    assert "prefer-256-bit" not in got["codegen"]
    assert got["key_features"] == ""  # the marker's key says what the code was built with


def test_the_background_warm_up_compiles_as_wide_as_this_process(monkeypatch, tmp_path):
    """The warm-up's marker key holds the vector width: the child mirrors the parent's."""
    from chaingrad.kernels import runtime

    seen: list[str] = []

    def fake_popen(cmd, env, **kwargs):
        seen.append(env[runtime.WIDE_VECTORS_ENV])

    monkeypatch.setattr(runtime.subprocess, "Popen", fake_popen)
    lock = str(tmp_path / "x.lock")
    for chosen, flag in (("features,-prefer-256-bit", "1"), (None, "0")):
        monkeypatch.setattr(runtime, "_wide_features", chosen)
        runtime._start_warm_up("conv", lock)
        assert seen[-1] == flag
