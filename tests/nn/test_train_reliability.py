"""Issue 13's training items: grad mode per thread under load, non-finite losses, Ctrl-C."""

import threading

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad import Tensor, no_grad
from chaingrad.autograd import is_grad_enabled
from chaingrad.nn import optim
from chaingrad.nn.data import DataLoader, TensorDataset
from chaingrad.nn.train import NonFiniteLossError, TrainingInterrupted, fit


def test_overlapping_no_grad_blocks_in_threads_leave_other_threads_recording():
    barrier = threading.Barrier(4)
    seen: dict[str, list[bool]] = {}

    def quiet(name):
        with no_grad():
            barrier.wait()  # every thread is inside its block or recording now
            x = Tensor([1.0], requires_grad=True)
            seen[name] = [is_grad_enabled(), (x * 2).requires_grad]
            barrier.wait()  # both blocks still open while the others record
        seen[name].append(is_grad_enabled())

    def loud(name):
        barrier.wait()
        x = Tensor([1.0], requires_grad=True)
        y = (x * 3).sum()
        barrier.wait()
        y.backward()  # died with "this tensor does not require grad" when the mode was global
        seen[name] = [is_grad_enabled(), x.grad.item()]

    threads = [threading.Thread(target=quiet, args=(f"q{i}",)) for i in range(2)]
    threads += [threading.Thread(target=loud, args=(f"l{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen["q0"] == seen["q1"] == [False, False, True]
    assert seen["l0"] == seen["l1"] == [True, 3.0]
    assert is_grad_enabled()


def _run(seed: int, epochs: int = 4):
    """One complete, self-contained training run: its own data, model, loader and dropout seeds."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(120, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(np.int64)
    cg.manual_seed(seed)  # initialisation, before the threads start
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.2, seed=seed), nn.Linear(16, 2))
    train = DataLoader(TensorDataset(x[:90], y[:90]), batch_size=16, shuffle=True, seed=seed)
    val = DataLoader(TensorDataset(x[90:], y[90:]), batch_size=16)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    return model, lambda: fit(model, F.cross_entropy, opt, train, val, epochs, progress=False)


def _result(model, history):
    return {k: v.copy() for k, v in model.state_dict().items()}, {
        k: v for k, v in history.metrics.items() if k != "seconds"
    }


def test_two_fits_in_threads_equal_their_sequential_results_exactly():
    sequential = []
    for seed in (1, 2):
        model, go = _run(seed)
        sequential.append(_result(model, go()))
    for _ in range(3):  # several rounds: interleavings differ from round to round
        runs = [_run(seed) for seed in (1, 2)]
        histories = [None, None]

        def work(i, go, out=histories):
            out[i] = go()

        threads = [threading.Thread(target=work, args=(i, go)) for i, (_, go) in enumerate(runs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for (model, _), history, (weights, metrics) in zip(runs, histories, sequential):
            got_weights, got_metrics = _result(model, history)
            assert got_metrics == metrics
            for name in weights:
                np.testing.assert_array_equal(got_weights[name], weights[name])


def _blows_up_after(calls: int):
    """cross_entropy, but NaN from the ``calls``-th call on."""
    count = [0]

    def loss(out, y):
        count[0] += 1
        value = F.cross_entropy(out, y)
        return value * float("nan") if count[0] >= calls else value

    return loss


def _small():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    cg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    return model, DataLoader(TensorDataset(x, y), batch_size=10)  # 4 batches per epoch


def test_a_nan_loss_raises_and_restores_the_last_finished_epochs_weights():
    model, loader = _small()
    opt = optim.SGD(model.parameters(), lr=0.1)
    fit(model, F.cross_entropy, opt, loader, epochs=2, progress=False)
    after_two = model.state_dict()
    model2, loader = _small()
    opt = optim.SGD(model2.parameters(), lr=0.1)
    with pytest.raises(NonFiniteLossError, match=r"became nan in epoch 3, batch 2") as error:
        fit(model2, _blows_up_after(10), opt, loader, epochs=5, progress=False)
    assert "\n" not in str(error.value)
    assert error.value.history.epochs == 2 and (error.value.epoch, error.value.batch) == (3, 2)
    for name, value in model2.state_dict().items():
        np.testing.assert_array_equal(value, after_two[name])


def test_nan_policy_stop_returns_the_history_with_finite_weights():
    model, loader = _small()
    opt = optim.SGD(model.parameters(), lr=0.1)
    history = fit(
        model, _blows_up_after(2), opt, loader, epochs=3, progress=False, nan_policy="stop"
    )
    assert history.epochs == 0 and "epoch 1, batch 2" in history.stopped_nonfinite
    assert all(np.isfinite(v).all() for v in model.state_dict().values())
    with pytest.raises(ValueError, match="nan_policy must be one of"):
        fit(model, F.cross_entropy, opt, loader, nan_policy="ignore")


def test_a_huge_learning_rate_never_leaves_nan_weights_even_with_early_stopping():
    _, loader = _small()
    model = nn.Linear(3, 2)

    def loss(out, y):  # a quadratic loss: its gradient grows with the weights, until overflow
        return (out * out).mean()

    opt = optim.SGD(model.parameters(), lr=1e10)
    with pytest.raises(NonFiniteLossError):
        fit(model, loss, opt, loader, loader, epochs=20, early_stopping=2, progress=False)
    assert all(np.isfinite(v).all() for v in model.state_dict().values())
    history = fit(
        model, loss, opt, loader, loader, 20, early_stopping=2, nan_policy="stop", progress=False
    )
    assert history.stopped_nonfinite
    assert all(np.isfinite(v).all() for v in model.state_dict().values())


def test_ctrl_c_keeps_the_finished_epochs():
    model, loader = _small()
    calls = [0]

    def interrupted(out, y):
        calls[0] += 1
        if calls[0] == 7:  # epoch 2, batch 3
            raise KeyboardInterrupt
        return F.cross_entropy(out, y)

    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TrainingInterrupted) as error:
        fit(model, interrupted, opt, loader, epochs=5, progress=False)
    assert isinstance(error.value, KeyboardInterrupt)
    assert error.value.history.epochs == 1
    reference, loader = _small()
    fit(
        reference,
        F.cross_entropy,
        optim.SGD(reference.parameters(), lr=0.1),
        loader,
        epochs=1,
        progress=False,
    )
    for name, value in reference.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[name], value)
