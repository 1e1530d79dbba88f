"""Issue 18: a character model's epoch is bounded on any file (windows are views, not copies)."""

import numpy as np
import pytest

from chaingrad.nn.app.runs import TrainConfig, UsageError
from chaingrad.nn.app.text_models import STEPS_PER_EPOCH, train_text, windows


def _text_file(tmp_path, size):
    rng = np.random.default_rng(0)
    words = ["autograd", "tensor", "gradient", "chain", "rule", "epoch", "the", "a", "of"]
    text = " ".join(rng.choice(words, size // 4))[:size]
    path = tmp_path / "big.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_100_kb_text_trains_one_epoch_in_bounded_batches(tmp_path, monkeypatch):
    import chaingrad.nn.app.text_models as text_models

    path = _text_file(tmp_path, 100_000)
    config = TrainConfig(model="rnn", epochs=1, data=str(path), out=str(tmp_path / "rnn"))
    seen = []
    real_fit = text_models.fit

    def counting_fit(*args, **kwargs):
        history = real_fit(*args, **kwargs)
        seen.append((len(args[3]), kwargs["steps_per_epoch"]))
        return history

    monkeypatch.setattr(text_models, "fit", counting_fit)
    result = train_text(config)
    # ~100,000 windows would be 6,250 batches of 16; the epoch takes STEPS_PER_EPOCH of them
    assert seen == [(6246, STEPS_PER_EPOCH)]
    assert "100,000 characters" in result.lines[0]
    assert f"1 epoch of {STEPS_PER_EPOCH} batches" in result.lines[0]
    assert np.isfinite(result.metrics["train_loss"])


def test_steps_per_epoch_comes_from_the_argument_or_the_settings(tmp_path):
    path = _text_file(tmp_path, 500)
    config = TrainConfig(
        model="rnn", epochs=2, data=str(path), out=str(tmp_path / "a"),
        settings={"steps_per_epoch": 3},
    )  # fmt: skip
    assert "2 epochs of 3 batches" in train_text(config).lines[0]
    assert "2 epochs of 2 batches" in train_text(config, steps_per_epoch=2).lines[0]
    # 0: every window once (436 windows of 64 characters in batches of 16)
    assert "2 epochs of 28 batches" in train_text(config, steps_per_epoch=0).lines[0]
    with pytest.raises(UsageError, match="--steps-per-epoch must be a whole number >= 0, got -1"):
        train_text(config, steps_per_epoch=-1)


def test_windows_are_views_of_the_text_with_the_next_character_as_target():
    encoded = np.arange(10)
    inputs, targets = windows(encoded, length=4, step=2)
    np.testing.assert_array_equal(inputs, [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]])
    np.testing.assert_array_equal(targets, inputs + 1)
    assert np.shares_memory(inputs, encoded) and not inputs.flags.writeable
    short_inputs, short_targets = windows(np.arange(3), length=64)  # shorter than a window
    np.testing.assert_array_equal(short_inputs, [[0, 1]])
    np.testing.assert_array_equal(short_targets, [[1, 2]])


def test_the_cli_bounds_a_text_epoch_with_steps_per_epoch(tmp_path, capsys):
    from chaingrad.nn.app.cli import main

    text = tmp_path / "text.txt"
    text.write_text("All work and no play makes Jack a dull boy. " * 400)
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "rnn",
            "--data",
            str(text),
            "--epochs",
            "1",
            "--steps-per-epoch",
            "3",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert "1 epoch of 3 batches" in capsys.readouterr().out
