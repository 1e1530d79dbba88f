"""Character-level language models for ``chaingrad train rnn|lstm|gru`` and ``chaingrad sample``.

A model reads characters as embeddings, runs them through one recurrent layer and scores the
next character. Training slices the text into overlapping windows and takes a bounded number of
batches of them per epoch (a random sample each epoch), so an epoch takes seconds on any file;
sampling feeds the model its own output, one character at a time, carrying the hidden state.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor, no_grad
from chaingrad.autograd.files import write_text
from chaingrad.nn.app.model_files import load_weights, read_metadata, text_metadata
from chaingrad.nn.app.runs import (
    TrainConfig,
    TrainResult,
    UsageError,
    make_optimizer,
    make_scheduler,
    stopped,
    write_outputs,
)
from chaingrad.nn.data import DataLoader, TensorDataset, datasets
from chaingrad.nn.train import History, NonFiniteLossError, TrainingInterrupted, fit

SEQUENCE = 64  # characters per training window
# batches per epoch: the Zen of Python has exactly 50 (792 windows of 16), so the default run
# is unchanged, while a 100 KB file no longer takes ~6,000 batches (minutes) per epoch
STEPS_PER_EPOCH = 50
EMBEDDING = 32
HIDDEN = 128
LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class CharModel(nn.Module):
    """Embedding → RNN/LSTM/GRU → Linear: scores for the next character at every position."""

    def __init__(
        self, kind: str, vocab_size: int, embedding: int = EMBEDDING, hidden: int = HIDDEN
    ) -> None:
        super().__init__()
        self.kind = kind
        self.embed = nn.Embedding(vocab_size, embedding)
        self.rnn = LAYERS[kind](embedding, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, indices: Any, state: Any = None) -> Any:
        """Scores (B, V, T) for integer indices (B, T), ready for cross_entropy with (B, T)."""
        scores, _ = self.step(indices, state)
        return scores

    def step(self, indices: Any, state: Any = None) -> tuple[Tensor, Any]:
        """Scores (B, V, T) and the recurrent state after the last position."""
        out, state = self.rnn(self.embed(indices), state)
        return self.head(out).permute(0, 2, 1), state


def windows(
    encoded: np.ndarray, length: int = SEQUENCE, step: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping (input, next-character) windows of ``length`` characters, ``step`` apart.

    Both are read-only views of ``encoded`` (no copy: a file of n characters would otherwise
    take 2 * length * n integers); indexing a batch out of them copies just that batch.
    """
    length = min(length, len(encoded) - 1)
    view = np.lib.stride_tricks.sliding_window_view(encoded, length + 1)[::step]
    return view[:, :-1], view[:, 1:]


def load_text(config: TrainConfig) -> datasets.TextData:
    """The Zen of Python, or the user's UTF-8 text file."""
    try:
        return datasets.text(config.data or "zen")
    except (FileNotFoundError, ValueError) as error:
        raise UsageError(str(error)) from None


def train_text(config: TrainConfig, steps_per_epoch: int | None = None) -> TrainResult:
    """Train a character model, write its sample, and report loss and perplexity.

    An epoch is at most ``steps_per_epoch`` batches (default ``config.settings
    ["steps_per_epoch"]``, else ``STEPS_PER_EPOCH``; 0 means every window once).
    """
    if steps_per_epoch is None:
        steps_per_epoch = config.settings.get("steps_per_epoch", STEPS_PER_EPOCH)
    if not isinstance(steps_per_epoch, int) or steps_per_epoch < 0:
        raise UsageError(f"--steps-per-epoch must be a whole number >= 0, got {steps_per_epoch!r}")
    nn.manual_seed(config.seed)
    data = load_text(config)
    if len(data.encoded) < 3:
        raise UsageError(f"{config.data}: need at least 3 characters of text")
    inputs, targets = windows(data.encoded)
    model = CharModel(config.model, len(data.vocab))
    loader = DataLoader(
        TensorDataset(inputs, targets), config.batch_size, shuffle=True, seed=config.seed
    )
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr)
    scheduler = make_scheduler(config.scheduler, optimizer, config.epochs)
    out = Path(config.out)
    metadata = {
        "kind": config.model,
        "vocab": list(data.vocab),
        "embedding": EMBEDDING,
        "hidden": HIDDEN,
    }

    def write(history: History) -> list[Path]:
        # the graph shows one step of training as it runs: a batch of the training batch size
        size = config.batch_size
        batch = (Tensor(inputs[:size].copy()), Tensor(targets[:size].copy()))
        return write_outputs(model, history, out, metadata, F.cross_entropy, *batch)

    start = time.perf_counter()
    try:
        history = fit(
            model,
            F.cross_entropy,
            optimizer,
            loader,
            epochs=config.epochs,
            scheduler=scheduler,
            progress=config.progress,
            steps_per_epoch=steps_per_epoch or None,
        )
    except (NonFiniteLossError, TrainingInterrupted) as stop:
        raise stopped(stop, write) from None
    seconds = time.perf_counter() - start
    files = write(history)
    prompt = data.text[: min(10, len(data.text))]
    text = sample(model, data.vocab, prompt, length=300, temperature=0.6, seed=config.seed)
    write_text(out / "sample.txt", text + "\n")
    loss = history["loss"][-1]
    lines = [
        f"chaingrad train {config.model}: {data.name} ({len(data.encoded):,} characters, "
        f"{len(data.vocab)} distinct), {history.epochs} epoch{'s' * (history.epochs != 1)} of "
        f"{min(len(loader), steps_per_epoch or len(loader))} batches in {seconds:.1f} s",
        f"  train loss {loss:.4f} (perplexity {np.exp(loss):.2f} of {len(data.vocab)} characters)",
        f"  sample: {text[:70]!r}...",
    ]
    files.append(out / "sample.txt")
    return TrainResult(lines, {"train_loss": loss, "seconds": seconds}, files)


def sample(
    model: CharModel,
    vocab: tuple[str, ...] | list[str],
    prompt: str,
    length: int,
    temperature: float = 0.6,
    seed: int | None = None,
) -> str:
    """The prompt followed by ``length`` generated characters (greedy when temperature is 0)."""
    index = {ch: i for i, ch in enumerate(vocab)}
    unknown = sorted({ch for ch in prompt if ch not in index})
    if unknown:
        raise UsageError(f"the prompt has characters the model never saw: {''.join(unknown)!r}")
    if not prompt:
        raise UsageError("the prompt must have at least one character")
    rng = np.random.default_rng(seed)
    was_training = model.training
    model.eval()
    generated = []
    try:
        with no_grad():
            scores, state = model.step(np.array([[index[ch] for ch in prompt]]))
            for _ in range(length):
                logits = scores.numpy()[0, :, -1].astype(np.float64)
                if temperature <= 0:
                    choice = int(logits.argmax())
                else:
                    p = np.exp((logits - logits.max()) / temperature)
                    choice = int(rng.choice(len(p), p=p / p.sum()))
                generated.append(vocab[choice])
                scores, state = model.step(np.array([[choice]]), state)
    finally:
        model.train(was_training)
    return prompt + "".join(generated)


def sample_from_file(
    model_path: str, prompt: str, length: int, temperature: float, seed: int | None
) -> str:
    """``chaingrad sample``: rebuild a saved text model from its metadata and sample from it.

    The metadata is checked (types, ranges, the model's size) before the model is built, and the
    weights must be finite; any problem is a one-line ``ModelFileError``.
    """
    metadata = text_metadata(read_metadata(model_path), model_path)
    model = CharModel(
        metadata["kind"], len(metadata["vocab"]), metadata["embedding"], metadata["hidden"]
    )
    load_weights(model_path, model)
    return sample(model, metadata["vocab"], prompt, length, temperature, seed)
