"""fit, History and its plot, gradient-flow monitoring, evaluate, predict, saliency."""

import numpy as np
import pytest

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.nn import optim
from chaingrad.nn.data import DataLoader, TensorDataset
from chaingrad.nn.data.datasets import moons
from chaingrad.nn.train import GradientFlow, evaluate, fit, predict, saliency


def _moons_loaders(seed=0):
    x, y = moons(200, noise=0.1, seed=seed)
    train = DataLoader(TensorDataset(x[:160], y[:160]), batch_size=32, shuffle=True, seed=seed)
    val = DataLoader(TensorDataset(x[160:], y[160:]), batch_size=64)
    return train, val


def test_fit_learns_two_moons_and_records_history(tmp_path):
    nn.manual_seed(0)
    model = nn.MLP([2, 32, 32, 2])
    train, val = _moons_loaders()
    opt = optim.Adam(model.parameters(), lr=0.01)
    history = fit(model, F.cross_entropy, opt, train, val, epochs=30, progress=False)
    assert history.epochs == 30
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] >= 0.95
    assert set(history.metrics) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    figure = history.plot(str(tmp_path / "curves.png"))
    assert len(figure.axes) == 2 and (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert "30 epochs" in repr(history)


def test_scheduler_steps_once_per_epoch_and_lr_is_recorded():
    nn.manual_seed(1)
    model = nn.MLP([2, 8, 2])
    train, _ = _moons_loaders()
    opt = optim.SGD(model.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    history = fit(model, F.cross_entropy, opt, train, epochs=5, scheduler=scheduler, progress=False)
    assert history["lr"] == [0.1, 0.1, 0.05, 0.05, 0.025]


def test_early_stopping_restores_the_best_weights():
    nn.manual_seed(2)
    model = nn.MLP([2, 16, 2])
    train, val = _moons_loaders()
    # a learning rate this large makes validation loss bounce, so patience runs out
    opt = optim.SGD(model.parameters(), lr=5.0)
    history = fit(
        model, F.cross_entropy, opt, train, val, epochs=40, early_stopping=2, progress=False
    )
    assert history.stopped_early and history.epochs < 40
    best = min(history["val_loss"])
    assert history["val_loss"][history.best_epoch - 1] == best
    assert evaluate(model, val, F.cross_entropy)["loss"] == pytest.approx(best, rel=1e-5)


def test_plateau_scheduler_gets_the_monitored_value():
    model = nn.MLP([2, 4, 2])
    train, val = _moons_loaders()
    # so small a rate improves the loss by far less than the 1e-4 relative threshold: a plateau
    opt = optim.SGD(model.parameters(), lr=1e-6)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    history = fit(
        model, F.cross_entropy, opt, train, val, epochs=3, scheduler=plateau, progress=False
    )
    assert plateau.best == history["val_loss"][0]  # it was given the validation loss
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-8)  # reduced after epochs 2 and 3


def test_gradient_flow_shows_vanishing_gradients_in_a_deep_sigmoid_network(tmp_path):
    nn.manual_seed(3)
    x, y = moons(64, seed=1)
    loader = DataLoader(TensorDataset(x, y), batch_size=64)

    def first_to_last_ratio(activation):
        model = nn.MLP([2] + [16] * 8 + [2], activation=activation)
        monitor = GradientFlow(model)
        fit(
            model,
            F.cross_entropy,
            optim.SGD(model.parameters(), lr=0.01),
            loader,
            epochs=2,
            grad_flow=monitor,
            progress=False,
        )
        means = list(monitor.mean_norms().values())
        return means[0] / means[-1], monitor

    sigmoid_ratio, monitor = first_to_last_ratio("sigmoid")
    relu_ratio, _ = first_to_last_ratio("relu")
    assert sigmoid_ratio < 1e-3  # the first layer's gradients all but vanish
    assert relu_ratio > 100 * sigmoid_ratio
    assert len(monitor.norms["0.weight"]) == 2
    assert len(monitor.plot(str(tmp_path / "flow.png")).axes) == 1
    assert len(monitor.plot(kind="bars").axes) == 1


def test_evaluate_predict_and_saliency():
    nn.manual_seed(4)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    x = np.random.default_rng(0).random((10, 1, 4, 4), dtype=np.float32)
    out = predict(model, x, batch_size=3)
    assert out.shape == (10, 3)
    assert evaluate(model, DataLoader(TensorDataset(x, out.argmax(axis=1))))["accuracy"] == 1.0
    sal = saliency(model, x[:2], target=1)
    # a linear model's saliency is |weight row| of the target class, reshaped as the image
    np.testing.assert_allclose(
        sal[0, 0], np.abs(model[1].weight.numpy()[1]).reshape(4, 4), rtol=1e-6
    )
    assert model.training


def test_clip_grad_norm_during_fit():
    model = nn.MLP([2, 4, 2])
    train, _ = _moons_loaders()
    fit(
        model,
        F.cross_entropy,
        optim.SGD(model.parameters(), lr=0.1),
        train,
        epochs=1,
        clip_grad_norm=1e-3,
        progress=False,
    )
    total = np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum() for p in model.parameters()))
    assert total <= 1e-3 * 1.001


def test_a_monitor_that_is_not_recorded_is_a_clear_error():
    model = nn.MLP([2, 4, 2])
    train, _ = _moons_loaders()
    with pytest.raises(KeyError, match="monitor 'val_loss' is not among the recorded metrics"):
        fit(
            model,
            F.cross_entropy,
            optim.SGD(model.parameters(), lr=0.1),
            train,
            epochs=1,
            monitor="val_loss",
            progress=False,
        )


def test_fit_without_progress_does_not_import_tqdm(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tqdm", None)  # any import of tqdm would now fail
    model = nn.MLP([2, 4, 2])
    train, _ = _moons_loaders()
    history = fit(
        model,
        F.cross_entropy,
        optim.SGD(model.parameters(), lr=0.1),
        train,
        epochs=1,
        progress=False,
    )
    assert history.epochs == 1
