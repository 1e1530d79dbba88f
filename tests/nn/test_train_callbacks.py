"""Issue 18 in fit: progress fitting a terminal or a log, Keras-style callbacks, bounded epochs."""

import csv
import re
import sys
import textwrap

import numpy as np
import pytest

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.nn import optim
from chaingrad.nn.data import DataLoader, TensorDataset
from chaingrad.nn.data.datasets import moons
from chaingrad.nn.serialization import load, load_metadata
from chaingrad.nn.train import (
    Callback,
    CSVLogger,
    EarlyStopping,
    ModelCheckpoint,
    evaluate,
    fit,
)

FIT_SCRIPT = """
import chaingrad.nn as nn, chaingrad.nn.functional as F
from chaingrad.nn import optim
from chaingrad.nn.data import DataLoader, TensorDataset
from chaingrad.nn.data.datasets import moons
from chaingrad.nn.train import fit
import time
nn.manual_seed(0)
x, y = moons(2000, noise=0.1, seed=0)
batches = DataLoader(TensorDataset(x[:1600], y[:1600]), batch_size=80, shuffle=True, seed=0)
val = DataLoader(TensorDataset(x[1600:], y[1600:]), batch_size=256)

class Slow:  # 20 batches of 50 ms: the bar redraws several times per epoch
    def __len__(self):
        return len(batches)

    def __iter__(self):
        for batch in batches:
            time.sleep(0.05)
            yield batch

train = Slow()
model = nn.MLP([2, 16, 2])
fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=0.01), train, val, epochs=2)
print("done")
"""


def _loaders(seed=0, batch_size=32):
    x, y = moons(200, noise=0.1, seed=seed)
    train = DataLoader(
        TensorDataset(x[:160], y[:160]), batch_size=batch_size, shuffle=True, seed=seed
    )
    val = DataLoader(TensorDataset(x[160:], y[160:]), batch_size=64)
    return train, val


def _model_and_optimizer(seed=0, lr=0.01):
    nn.manual_seed(seed)
    model = nn.MLP([2, 16, 2])
    return model, optim.Adam(model.parameters(), lr=lr)


def _run_in_terminal(tmp_path, columns):
    """The output of FIT_SCRIPT in a pseudo-terminal ``columns`` wide, as the screen shows it."""
    pexpect = pytest.importorskip("pexpect")
    script = tmp_path / "fit_script.py"
    script.write_text(FIT_SCRIPT)
    child = pexpect.spawn(
        sys.executable, [str(script)], dimensions=(24, columns), timeout=120, encoding="utf-8"
    )
    child.expect("done")
    output = child.before
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, output
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", output)  # without the cursor movements


def test_an_80_column_terminal_shows_a_bar_then_the_val_metric_on_an_80_column_line(tmp_path):
    screen = _run_in_terminal(tmp_path, 80)
    # what is left on screen per line after carriage returns overwrite it
    lines = [line.split("\r")[-1] for line in screen.replace("\r\n", "\n").split("\n")]
    epoch_lines = [i for i, line in enumerate(lines) if line.startswith("epoch 2/2 - loss 0.")]
    assert len(epoch_lines) == 1, screen[-2000:]
    # too wide for one line of 80: the validation metrics follow on their own line
    metrics = " ".join(lines[epoch_lines[0] : epoch_lines[0] + 2])
    assert re.search(r"val_loss 0\.\d+ - val_accuracy 0\.\d+", metrics), metrics
    # the bar was drawn: an ETA and the running loss, and every redraw fits the width
    redraws = [part for line in screen.split("\n") for part in line.split("\r") if part.strip()]
    bars = [part for part in redraws if "%|" in part]
    assert bars and any(
        re.search(r"\d+/20 \[\d\d:\d\d<\d\d:\d\d, loss=0\.\d{4}\]", b) for b in bars
    )
    assert all(len(part) <= 80 for part in redraws), max(redraws, key=len)


def test_a_zero_column_terminal_gets_epoch_lines_and_no_blank_lines(tmp_path):
    screen = _run_in_terminal(tmp_path, 0)
    lines = screen.replace("\r\n", "\n").splitlines()
    assert [line for line in lines if not line.strip()] == [], repr(screen[:500])
    assert [line.split(" - ")[0] for line in lines if line.startswith("epoch")] == [
        "epoch 1/2",
        "epoch 2/2",
    ]


def test_in_a_log_progress_true_prints_one_keras_line_per_epoch_and_the_default_nothing(capsys):
    model, opt = _model_and_optimizer()
    train, val = _loaders()
    fit(model, F.cross_entropy, opt, train, val, epochs=3, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout stays the program's own
    pattern = (
        r"epoch (\d)/3 - loss \d\.\d+ - accuracy \d\.\d+ - val_loss \d\.\d+ "
        r"- val_accuracy \d\.?\d* - \d+\.\d s"
    )
    lines = captured.err.splitlines()
    assert [re.fullmatch(pattern, line).group(1) for line in lines] == ["1", "2", "3"]
    fit(model, F.cross_entropy, opt, train, val, epochs=2)  # progress=None: quiet in a log
    assert capsys.readouterr() == ("", "")


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch, sorted(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, logs=None):
        self.calls.append(("train_end",))


def test_callback_hooks_run_in_keras_order_with_their_logs():
    model, opt = _model_and_optimizer()
    train, val = _loaders(batch_size=80)  # two batches per epoch
    recorder = Recorder()
    fit(model, F.cross_entropy, opt, train, val, epochs=2, callbacks=[recorder], progress=False)
    assert recorder.model is model
    metrics = sorted(["loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"])
    epoch = [("batch_end", 0, ["loss", "size"]), ("batch_end", 1, ["loss", "size"])]
    assert recorder.calls == [
        ("train_begin",),
        ("epoch_begin", 0),
        *epoch,
        ("epoch_end", 0, metrics),
        ("epoch_begin", 1),
        *epoch,
        ("epoch_end", 1, metrics),
        ("train_end",),
    ]


def test_a_callback_can_stop_training_through_the_model():
    class StopAfterTwo(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    model, opt = _model_and_optimizer()
    train, _ = _loaders()
    history = fit(
        model, F.cross_entropy, opt, train, epochs=10, callbacks=[StopAfterTwo()], progress=False
    )
    assert history.epochs == 2 and history.stopped_early


def test_early_stopping_callback_equals_the_shortcut_and_restores_the_best_weights():
    results = []
    for use_callback in (False, True):
        model, _ = _model_and_optimizer(seed=2)
        opt = optim.SGD(model.parameters(), lr=5.0)  # so large a rate makes val_loss bounce
        train, val = _loaders()
        kwargs = (
            {"callbacks": [EarlyStopping("val_loss", patience=2)]}
            if use_callback
            else {"early_stopping": 2}
        )
        history = fit(model, F.cross_entropy, opt, train, val, epochs=40, progress=False, **kwargs)
        assert history.stopped_early and history.epochs < 40
        best = min(history["val_loss"])
        assert evaluate(model, val, F.cross_entropy)["loss"] == pytest.approx(best, rel=1e-5)
        results.append((history["val_loss"], model.state_dict()))
    assert results[0][0] == results[1][0]
    for name, array in results[0][1].items():
        np.testing.assert_array_equal(array, results[1][1][name])


def test_early_stopping_maximises_accuracy_and_keeps_the_last_weights_when_asked():
    stopper = EarlyStopping("val_accuracy", patience=0, restore_best_weights=False)
    assert stopper.maximise
    model, _ = _model_and_optimizer(seed=2)
    opt = optim.SGD(model.parameters(), lr=5.0)
    train, val = _loaders()
    history = fit(
        model, F.cross_entropy, opt, train, val, epochs=40, callbacks=[stopper], progress=False
    )
    accuracies = history["val_accuracy"]
    # patience 0, as Keras: it stops at the first epoch that is not better than the best
    assert accuracies[-1] <= max(accuracies[:-1]) and history.epochs < 40
    assert evaluate(model, val, F.cross_entropy)["accuracy"] == pytest.approx(accuracies[-1])
    with pytest.raises(ValueError, match="EarlyStopping: mode must be"):
        EarlyStopping(mode="best")
    with pytest.raises(KeyError, match="EarlyStopping: monitor 'val_f1' is not among"):
        fit(model, F.cross_entropy, opt, train, val, callbacks=[EarlyStopping("val_f1")],
            progress=False)  # fmt: skip


def test_model_checkpoint_keeps_the_best_and_the_last_atomically(tmp_path):
    model, _ = _model_and_optimizer(seed=2)
    opt = optim.SGD(model.parameters(), lr=5.0)
    train, val = _loaders()
    best = ModelCheckpoint(tmp_path / "best.npz", save_best_only=True)
    last = ModelCheckpoint(tmp_path / "last.npz")
    each = ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.3f}.npz"))
    history = fit(
        model, F.cross_entropy, opt, train, val, epochs=6, callbacks=[best, last, each],
        progress=False,
    )  # fmt: skip
    losses = history["val_loss"]
    best_epoch = int(np.argmin(losses))
    assert best.best_epoch == best_epoch and best.best == losses[best_epoch]
    assert load_metadata(tmp_path / "best.npz") == {"epoch": best_epoch + 1, "val_loss": best.best}
    assert load_metadata(tmp_path / "last.npz")["epoch"] == 6
    for name, array in load(tmp_path / "last.npz").items():
        np.testing.assert_array_equal(array, model.state_dict()[name])
    # improvements only: the best file was written once per new minimum
    minima = sum(loss == min(losses[: i + 1]) for i, loss in enumerate(losses))
    assert len(best.saved) == minima and len(last.saved) == 6
    expected = {f"ckpt-{i + 1:02d}-{loss:.3f}.npz" for i, loss in enumerate(losses)}
    assert {p.name for p in tmp_path.glob("ckpt-*")} == expected
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files
    with pytest.raises(KeyError, match="ModelCheckpoint: monitor 'val_loss' is not among"):
        fit(model, F.cross_entropy, opt, train, progress=False,
            callbacks=[ModelCheckpoint(tmp_path / "x.npz", save_best_only=True)])  # fmt: skip
    with pytest.raises(ValueError, match=r"ModelCheckpoint: cannot fill in path '.*\{acc\}"):
        fit(model, F.cross_entropy, opt, train, progress=False,
            callbacks=[ModelCheckpoint(str(tmp_path / "{acc}.npz"))])  # fmt: skip


def test_csv_logger_writes_a_row_per_epoch_and_appends_when_asked(tmp_path):
    model, opt = _model_and_optimizer()
    train, val = _loaders()
    path = tmp_path / "log.csv"
    history = fit(
        model, F.cross_entropy, opt, train, val, epochs=3, callbacks=[CSVLogger(path)],
        progress=False,
    )  # fmt: skip
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == [
        "epoch",
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "lr",
        "seconds",
    ]
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    assert [float(row["val_loss"]) for row in rows] == history["val_loss"]
    fit(model, F.cross_entropy, opt, train, val, epochs=2, callbacks=[CSVLogger(path, append=True)],
        progress=False)  # fmt: skip
    assert [row["epoch"] for row in csv.DictReader(path.open())] == ["0", "1", "2", "0", "1"]
    fit(model, F.cross_entropy, opt, train, val, epochs=1, callbacks=[CSVLogger(path)],
        progress=False)  # fmt: skip
    assert len(path.read_text().splitlines()) == 2  # header and one row: started afresh


def test_nan_policy_stop_still_ends_the_callbacks_and_keeps_the_finite_checkpoint(tmp_path):
    model, opt = _model_and_optimizer()
    train, _ = _loaders()  # five batches per epoch
    calls = []

    def loss_in_epoch_three_is_nan(out, y):
        calls.append(1)
        return F.cross_entropy(out, y) * (float("nan") if len(calls) == 12 else 1.0)

    recorder = Recorder()
    checkpoint = ModelCheckpoint(tmp_path / "last.npz", monitor="loss")
    history = fit(
        model, loss_in_epoch_three_is_nan, opt, train, epochs=5, nan_policy="stop",
        callbacks=[recorder, checkpoint], progress=False,
    )  # fmt: skip
    assert history.stopped_nonfinite and history.epochs == 2
    assert recorder.calls[-1] == ("train_end",) and not history.stopped_early
    assert load_metadata(tmp_path / "last.npz") == {"epoch": 2, "loss": history["loss"][1]}
    for name, array in load(tmp_path / "last.npz").items():
        np.testing.assert_array_equal(array, model.state_dict()[name])


def test_steps_per_epoch_bounds_each_epoch_and_draws_new_batches():
    model, opt = _model_and_optimizer()
    x, y = moons(1000, seed=0)
    seen = []

    class Sizes(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(batch)

    loader = DataLoader(TensorDataset(x, y), batch_size=10, shuffle=True, seed=0)
    history = fit(
        model, F.cross_entropy, opt, loader, epochs=3, steps_per_epoch=7,
        callbacks=[Sizes()], progress=False,
    )  # fmt: skip
    assert seen == list(range(7)) * 3 and history.epochs == 3
    # a generator without len works too, and a loader shorter than the steps ends the epoch
    short = DataLoader(TensorDataset(x[:25], y[:25]), batch_size=10)
    seen.clear()
    fit(model, F.cross_entropy, opt, short, steps_per_epoch=7, callbacks=[Sizes()], progress=False)
    assert seen == [0, 1, 2]
    with pytest.raises(ValueError, match="fit: steps_per_epoch must be a positive integer, got 0"):
        fit(model, F.cross_entropy, opt, loader, steps_per_epoch=0, progress=False)


def test_the_epoch_line_puts_the_validation_metrics_on_their_own_line_when_too_wide(capsys):
    from chaingrad.nn.train import _Progress

    progress = _Progress(True, 10)
    progress.columns = 60
    values = {"loss": 0.4123, "accuracy": 0.9, "val_loss": 0.3, "val_accuracy": 0.93}
    progress.epoch_end(3, {**values, "lr": 0.1, "seconds": 2.06})
    assert capsys.readouterr().err == textwrap.dedent("""\
        epoch 3/10 - loss 0.4123 - accuracy 0.9 - 2.1 s
            val_loss 0.3 - val_accuracy 0.93
        """)
