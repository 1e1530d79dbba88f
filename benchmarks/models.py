"""Whole-model workloads against PyTorch: a LeNet step, the PyTorch-tutorial CNN step, a
character-LSTM step, a CNN epoch on the digits, and cold start. Same model, same data, same
optimizer on both sides; both must agree on the loss and the updated weights before they are
timed. Run: ``python -m benchmarks.models``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from benchmarks.harness import Comparison, Timing, compare, set_threads, table
from chaingrad.autograd import Tensor
from chaingrad.nn import optim
from chaingrad.nn.app.recipes import build_image_model
from chaingrad.nn.data import Standardize, datasets

LR = 1e-3


def _torch_twin(ours: nn.Module, build: Callable[[Any], Any]) -> Any:
    """The same architecture in torch, with our weights copied in."""
    import torch

    model = build(torch.nn)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return model


def _torch_lenet(tnn: Any) -> Any:
    return tnn.Sequential(
        tnn.Conv2d(1, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(16, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(32 * 2 * 2, 10),
    )  # fmt: skip


def _steps(
    ours: nn.Module,
    theirs: Any,
    batches: list[tuple[np.ndarray, np.ndarray]],
    loss_layout: Callable | None = None,
):
    """One training step function per side over the given batches (round robin)."""
    import torch

    our_opt = optim.Adam(ours.parameters(), lr=LR)
    their_opt = torch.optim.Adam(theirs.parameters(), lr=LR)
    our_batches = [(Tensor(x), Tensor(y)) for x, y in batches]
    their_batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]
    counter = {"ours": 0, "theirs": 0}

    def ours_step() -> float:
        x, y = our_batches[counter["ours"] % len(our_batches)]
        counter["ours"] += 1
        loss = F.cross_entropy(ours(x), y)
        our_opt.zero_grad()
        loss.backward()
        our_opt.step()
        return loss.item()

    def theirs_step() -> float:
        x, y = their_batches[counter["theirs"] % len(their_batches)]
        counter["theirs"] += 1
        out = theirs(x)
        if loss_layout is not None:
            out = loss_layout(out)
        loss = torch.nn.functional.cross_entropy(out, y)
        their_opt.zero_grad()
        loss.backward()
        their_opt.step()
        return loss.item()

    return ours_step, theirs_step


def _agree(
    name: str, ours: nn.Module, theirs: Any, ours_step: Callable, theirs_step: Callable
) -> None:
    """Two steps each from the same weights: equal losses and equal weights afterwards."""
    for _ in range(2):
        a, b = ours_step(), theirs_step()
        np.testing.assert_allclose(a, b, rtol=2e-4, err_msg=f"{name}: loss")
    their_state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(
            value, their_state[key], rtol=1e-3, atol=2e-5, err_msg=f"{name}: {key}"
        )


def _compare_steps(
    name: str,
    ours: nn.Module,
    build_torch: Callable[[Any], Any],
    batches: list,
    repeats: int,
    inner: int,
) -> Comparison:
    """Time our training step against the torch twin's (ours alone when torch is missing)."""
    try:
        theirs = _torch_twin(ours, build_torch)
    except ImportError:
        step = _steps_ours_only(ours, batches)
        return compare(name, step, None, "torch (not installed)", repeats=repeats, inner=inner)
    ours_step, theirs_step = _steps(ours, theirs, batches)
    _agree(name, ours, theirs, ours_step, theirs_step)
    return compare(name, ours_step, theirs_step, "torch", repeats=repeats, inner=inner)


def lenet_step(repeats: int = 21, inner: int = 10, batch: int = 32) -> Comparison:
    """One Adam step of the CLI's LeNet-style CNN on a batch of 8×8 images."""
    nn.manual_seed(0)
    ours = build_image_model("cnn", (1, 8, 8), 10)
    rng = np.random.default_rng(0)
    batches = [
        (rng.standard_normal((batch, 1, 8, 8)).astype(np.float32), rng.integers(0, 10, batch))
        for _ in range(4)
    ]
    return _compare_steps(
        f"LeNet step, batch {batch} of 1×8×8", ours, _torch_lenet, batches, repeats, inner
    )


def _tutorial_cnn(tnn: Any) -> Any:
    """PyTorch's MNIST-example CNN on 8×8 digits: 1→32→64 channels, 3×3, no padding."""
    return tnn.Sequential(
        tnn.Conv2d(1, 32, 3), tnn.ReLU(), tnn.Conv2d(32, 64, 3), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(64 * 2 * 2, 10),
    )  # fmt: skip


def tutorial_cnn_step(repeats: int = 21, inner: int = 10, batch: int = 64) -> Comparison:
    """One Adam step of the PyTorch-tutorial CNN (conv 1→32, 32→64, 3×3) on 8×8 digits."""
    nn.manual_seed(0)
    ours = _tutorial_cnn(nn)
    x, y = datasets.digits()
    x = Standardize.fit(x, axis=(0, 2, 3))(x).astype(np.float32)
    order = np.random.default_rng(0).permutation(len(x))
    batches = [
        (x[order[i : i + batch]], y[order[i : i + batch]]) for i in range(0, 4 * batch, batch)
    ]
    return _compare_steps(
        f"tutorial CNN step, batch {batch} of 1×8×8", ours, _tutorial_cnn, batches, repeats, inner
    )


def _steps_ours_only(ours: nn.Module, batches: list) -> Callable[[], float]:
    opt = optim.Adam(ours.parameters(), lr=LR)
    x, y = Tensor(batches[0][0]), Tensor(batches[0][1])

    def step() -> float:
        loss = F.cross_entropy(ours(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


class CharLSTM(nn.Module):
    """Embedding(65, 32) → LSTM(32, 128) → Linear(128, 65), time-major."""

    def __init__(self, vocab: int = 65, embedding: int = 32, hidden: int = 128) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embedding)
        self.lstm = nn.LSTM(embedding, hidden)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, indices: Tensor) -> Tensor:
        """Scores (T·B, V) for indices (T, B)."""
        out, _ = self.lstm(self.embed(indices))
        return self.head(out).reshape(-1, self.head.out_features)


def _torch_char_lstm(tnn: Any) -> Any:
    import torch

    class TorchCharLSTM(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = tnn.Embedding(65, 32)
            self.lstm = tnn.LSTM(32, 128)
            self.head = tnn.Linear(128, 65)

        def forward(self, indices: Any) -> Any:
            out, _ = self.lstm(self.embed(indices))
            return self.head(out).reshape(-1, 65)

    return TorchCharLSTM()


def char_lstm_step(
    repeats: int = 11, inner: int = 3, steps: int = 64, batch: int = 16
) -> Comparison:
    """One Adam step of a character LSTM: sequence 64, batch 16, cross-entropy."""
    nn.manual_seed(0)
    ours = CharLSTM()
    rng = np.random.default_rng(1)
    batches = [
        (rng.integers(0, 65, (steps, batch)), rng.integers(0, 65, steps * batch)) for _ in range(4)
    ]
    name = f"char-LSTM step, T={steps} B={batch} H=128"
    return _compare_steps(name, ours, _torch_char_lstm, batches, repeats, inner)


def cnn_epoch(repeats: int = 5, batch: int = 32) -> Comparison:
    """One epoch of ``chaingrad train cnn``'s model and loop on the digits (1,437 images)."""
    name = f"CNN epoch on the digits, batch {batch}"
    x, y = datasets.digits()
    x_train, _, y_train, _ = datasets.train_test_split(x, y, test_size=0.2, seed=0, stratify=y)
    x_train = Standardize.fit(x_train, axis=(0, 2, 3))(x_train)
    order = np.random.default_rng(0).permutation(len(x_train))
    batches = [
        (x_train[order[i : i + batch]], y_train[order[i : i + batch]])
        for i in range(0, len(order), batch)
    ]
    nn.manual_seed(0)
    ours = build_image_model("cnn", (1, 8, 8), 10)
    try:
        theirs = _torch_twin(ours, _torch_lenet)
    except ImportError:
        step = _steps_ours_only(ours, batches)
        return compare(
            name, lambda: [step() for _ in batches], None, "torch (not installed)", repeats=repeats
        )
    ours_step, theirs_step = _steps(ours, theirs, batches)
    _agree(name, ours, theirs, ours_step, theirs_step)

    def our_epoch() -> None:
        for _ in batches:
            ours_step()

    def their_epoch() -> None:
        for _ in batches:
            theirs_step()

    return compare(name, our_epoch, their_epoch, "torch", repeats=repeats)


COLD_START = {
    "chaingrad": (
        "import numpy as np, chaingrad.nn.functional as F; from chaingrad import Tensor; "
        "x = Tensor(np.ones((8, 3, 16, 16), np.float32), requires_grad=True); "
        "w = Tensor(np.ones((4, 3, 3, 3), np.float32), requires_grad=True); "
        "F.conv2d(x, w, padding=1).sum().backward()"
    ),
    "torch": (
        "import torch; x = torch.ones(8, 3, 16, 16, requires_grad=True); "
        "w = torch.ones(4, 3, 3, 3, requires_grad=True); "
        "torch.nn.functional.conv2d(x, w, padding=1).sum().backward()"
    ),
}
# after the first result: print when it came, then (cold cache) wait for the background
# compile so that it neither outlives the measurement nor slows the next one
FIRST_RESULT = (
    "\nimport time; print(time.time(), flush=True)"
    "\nfrom chaingrad.kernels import runtime; runtime.wait_for_background()"
)
# keep stepping until the conv kernels have switched to numba, one more step, then print
UNTIL_NUMBA = (
    "\nimport time\nfrom chaingrad.kernels import runtime"
    "\nwhile not runtime.use_numba('conv'):"
    "\n    F.conv2d(x, w, padding=1).sum().backward(); time.sleep(0.05)"
    "\nF.conv2d(x, w, padding=1).sum().backward(); print(time.time(), flush=True)"
    "\nruntime.wait_for_background()"
)


def _process_seconds(code: str, env: dict[str, str]) -> float:
    import time

    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _until_printed(code: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds from the start of a fresh process until it prints a time, CPU seconds of
    the process and everything it waited for, the background compile included)."""
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return float(out.stdout.split()[-1]) - start, cpu


def cold_start(cache: str = "warm", repeats: int = 5, until: str = "first") -> Comparison:
    """Import plus the first conv2d forward and backward in a fresh process.

    ``cache="warm"`` uses numba's cache as it is (compiled once already); ``"cold"`` points
    NUMBA_CACHE_DIR at an empty folder. ``until="first"`` times until the first result (with a
    cold cache the NumPy path gives it while numba compiles in the background); ``"numba"``
    until a conv2d has run on the numba kernels (the background compile done and loaded).
    """
    name = f"cold start: import + first conv2d, {cache} numba cache"
    if until == "numba":
        name = f"cold start: import until conv2d runs on numba, {cache} numba cache"
    env = dict(os.environ)
    _process_seconds(COLD_START["chaingrad"] + FIRST_RESULT, env)  # fill the default cache once
    ours, theirs, cpu = Timing(), Timing(), []
    try:
        import torch  # noqa: F401

        has_torch = True
    except ImportError:
        has_torch = False
    code = COLD_START["chaingrad"] + (UNTIL_NUMBA if until == "numba" else FIRST_RESULT)
    for _ in range(repeats):
        run_env = env
        if cache == "cold":
            run_env = {**env, "NUMBA_CACHE_DIR": tempfile.mkdtemp(prefix="numba-cold-")}
        wall, seconds = _until_printed(code, run_env)
        ours.times.append(wall)
        cpu.append(seconds)
        if has_torch:
            theirs.times.append(_process_seconds(COLD_START["torch"], env))
    note = f"chaingrad CPU incl. background compile: {min(cpu):.1f}-{max(cpu):.1f} s"
    return Comparison(
        name,
        ours,
        theirs if has_torch else None,
        "torch" if has_torch else "torch (not installed)",
        note=note,
    )


def main(argv: list[str] | None = None) -> None:
    """Print the model-level benchmarks' table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    set_threads()
    repeats = 5 if args.quick else 21
    results = [
        lenet_step(repeats=repeats),
        tutorial_cnn_step(repeats=repeats),
        char_lstm_step(repeats=max(3, repeats // 2)),
        cnn_epoch(repeats=3 if args.quick else 5),
        cold_start("warm", repeats=3),
        cold_start("cold", repeats=2),
        cold_start("cold", repeats=2, until="numba"),
    ]
    print(table(results))


if __name__ == "__main__":
    main()
