"""Run an example program as written (torch) or renamed to chaingrad, and read its RESULT line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rename import rename_torch

HERE = Path(__file__).resolve().parent
PROGRAMS = [
    "char_mlp",
    "digits_cnn",
    "rnn_classifier",
    "linear_regression",
    "micrograd_demo",
    "polynomial_fit",
    "autograd_basics",
    "quickstart",
    "lstm_lm",
    "bn_dropout_mlp",
    "tensors_tutorial",
    "tiny_gpt",
    "build_nn",
    "save_load",
    "datasets_loaders",
    "nn_really",
    "d2l_softmax_scratch",
    "d2l_mlp_regularize",
    "d2l_lenet_bn",
    "d2l_rnn_scratch",
    "attention_seq2seq",
    "autoencoder_vae",
    "gan_1d",
    "policy_gradient",
    "schedulers",
    "tensor_idioms",
]

# Runs the program's source from stdin under its own file name, so paths relative to
# ``__file__`` (the digits) resolve and tracebacks name the original file.
_RUNNER = (
    "import sys; path = sys.argv[1]; source = sys.stdin.read(); "
    "sys.argv = [path]; sys.path.insert(0, __import__('os').path.dirname(path)); "
    "exec(compile(source, path, 'exec'), {'__name__': '__main__', '__file__': path})"
)


@dataclass
class Run:
    """One run of a program: exit code, output, the parsed RESULT dict and the wall time."""

    program: str
    library: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    result: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the program exited 0 and printed a RESULT line."""
        return self.returncode == 0 and bool(self.result)

    def error(self) -> str:
        """The last line of stderr (the exception), or a note that RESULT was missing."""
        lines = [ln for ln in self.stderr.strip().splitlines() if ln.strip()]
        if lines:
            return lines[-1]
        return "no RESULT line" if self.returncode == 0 else f"exit code {self.returncode}"


def source_of(program: str, library: str = "torch", append: str = "") -> str:
    """The program's source, renamed when ``library == 'chaingrad'``, plus ``append``."""
    source = (HERE / f"{program}.py").read_text(encoding="utf-8")
    if library == "chaingrad":
        source = rename_torch(source)
    elif library != "torch":
        raise ValueError(f"library must be 'torch' or 'chaingrad', got {library!r}")
    return source + ("\n" + append + "\n" if append else "")


def run_program(
    program: str, library: str = "torch", append: str = "", timeout: float = 120.0
) -> Run:
    """Run one example in a fresh interpreter and parse the JSON after its last ``RESULT``."""
    source = source_of(program, library, append)
    env = dict(os.environ, PYTHONHASHSEED="0")
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(HERE / f"{program}.py")],
        input=source,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=HERE,
    )
    seconds = time.perf_counter() - start
    result: dict = {}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
    return Run(program, library, proc.returncode, proc.stdout, proc.stderr, seconds, result)
