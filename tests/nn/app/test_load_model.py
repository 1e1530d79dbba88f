"""``chaingrad.load_model`` and ``chaingrad predict``: CLI model files come back ready to use."""

import struct

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
from chaingrad.nn.app.cli import main
from chaingrad.nn.app.recipes import predict_images
from chaingrad.nn.app.text_models import CharModel
from chaingrad.nn.data.datasets import digits

TEXT = "Beautiful is better than ugly. Explicit is better than implicit. " * 4


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One model file per CLI kind, each trained for one epoch."""
    root = tmp_path_factory.mktemp("runs")
    text = root / "text.txt"
    text.write_text(TEXT)
    files = {}
    for kind in ("mlp", "cnn", "rnn", "lstm", "gru"):
        out = root / kind
        args = ["train", kind, "--epochs", "1", "--out", str(out), "--seed", "3"]
        if kind in ("rnn", "lstm", "gru"):
            args += ["--data", str(text), "--batch-size", "64"]
        assert main(args) == 0, kind
        files[kind] = out / "model.npz"
    return files


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_image_models_come_back_ready_for_raw_images(trained, kind):
    path = trained[kind]
    model = cg.load_model(path)
    assert not model.training and model.kind == kind
    assert model.class_names == [str(c) for c in range(10)]
    # every array of the file is in the model, unchanged
    saved = nn.load(str(path))
    state = model.state_dict()
    assert sorted(state) == sorted(f"model.{k}" for k in saved)
    for key, array in saved.items():
        np.testing.assert_array_equal(state[f"model.{key}"], array)
    # raw images in, the same scores as the CLI's own rebuild (which standardises by hand)
    images, labels = digits()
    scores = model(images).numpy()
    np.testing.assert_array_equal(scores, predict_images(str(path), images))
    assert (scores.argmax(axis=1) == labels).mean() > 0.5  # trained, and standardised
    # (N, H, W) for a one-channel model too
    np.testing.assert_array_equal(model(images[:5, 0]).numpy(), model(images[:5]).numpy())


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_text_models_come_back_with_their_vocabulary(trained, kind):
    path = trained[kind]
    model = cg.load_model(path)
    assert not model.training and isinstance(model, CharModel) and model.kind == kind
    assert model.vocab == tuple(sorted(set(TEXT)))
    by_hand = CharModel(kind, len(model.vocab))  # what chaingrad sample builds
    nn.load(str(path), model=by_hand)
    by_hand.eval()
    index = np.array([[model.vocab.index(ch) for ch in "better than"]])
    np.testing.assert_array_equal(model(index).numpy(), by_hand(index).numpy())


def test_a_loaded_model_saved_again_loads_identically(trained, tmp_path):
    for kind in ("cnn", "gru"):
        model = cg.load_model(trained[kind])
        again = tmp_path / f"{kind}.npz"
        # the inner model's arrays with the same metadata: what the CLI writes
        inner = model.model if kind == "cnn" else model
        inner.save(str(again), metadata=nn.load_metadata(trained[kind]))
        reloaded = cg.load_model(again)
        x = digits()[0][:7] if kind == "cnn" else np.array([[1, 2, 3, 4]])
        np.testing.assert_array_equal(model(x).numpy(), reloaded(x).numpy())


def test_a_file_without_an_architecture_says_how_to_load_it(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2))
    model.save(str(tmp_path / "plain.npz"))
    cg.save(model.state_dict(), tmp_path / "state.pt")
    for name in ("plain.npz", "state.pt"):
        with pytest.raises(ValueError, match="load_state_dict") as error:
            cg.load_model(tmp_path / name)
        assert "\n" not in str(error.value)
    with pytest.raises(FileNotFoundError, match="no model file"):
        cg.load_model(tmp_path / "missing.npz")


def test_damaged_metadata_is_one_line(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2))
    meta = {"kind": "mlp", "input_shape": [1, 8, 8], "classes": -4, "mean": [0], "std": [1]}
    model.save(str(tmp_path / "bad.npz"), metadata=meta)
    with pytest.raises(ValueError, match="'classes' must be an integer"):
        cg.load_model(tmp_path / "bad.npz")


def _write_idx(path, array):
    """An MNIST-style IDX file of unsigned bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_predict_prints_classes_probabilities_and_accuracy(trained, tmp_path, capsys):
    path = str(trained["cnn"])
    images, labels = digits()
    _write_idx(tmp_path / "x-images-idx3-ubyte", images[:50, 0])
    _write_idx(tmp_path / "x-labels-idx1-ubyte", labels[:50])
    argv = ["predict", "--model", path, "--data", str(tmp_path / "x-images-idx3-ubyte")]
    assert main([*argv, "--labels", str(tmp_path / "x-labels-idx1-ubyte")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 51
    scores = predict_images(path, images[:50])
    expected = scores.argmax(axis=1)
    probability = np.exp(scores - scores.max(1, keepdims=True))
    probability /= probability.sum(1, keepdims=True)
    first = lines[0].split()
    assert first[0] == "x-images-idx3-ubyte[0]" and first[1] == str(expected[0])
    assert first[2] == f"({probability[0, expected[0]]:.1%})"
    correct = int((expected == labels[:50]).sum())
    assert lines[-1] == f"accuracy {correct / 50:.4f} ({correct} of 50)"
    assert main([*argv, "--top", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 50 and all(line.count("%") == 3 for line in lines)


def test_predict_reads_npy_npz_and_png(trained, tmp_path, capsys):
    import matplotlib.image

    path = str(trained["mlp"])
    images, _ = digits()
    np.save(tmp_path / "two.npy", images[:2])
    np.savez(tmp_path / "one.npz", first=images[0, 0])
    # a PNG holds [0, 1]; predict scales it back to the training pixels' range (0-16 here)
    matplotlib.image.imsave(tmp_path / "zero.png", images[0, 0] / 16, cmap="gray", vmin=0, vmax=1)
    files = [str(tmp_path / n) for n in ("two.npy", "one.npz", "zero.png")]
    assert main(["predict", "--model", path, *files]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [
        f"{files[0]}[0]",
        f"{files[0]}[1]",
        files[1],
        files[2],
    ]
    predicted = [line.split()[1] for line in lines]
    expected = predict_images(path, images[:2]).argmax(axis=1)
    assert predicted[:3] == [str(expected[0]), str(expected[1]), str(expected[0])]
    assert predicted[3] == str(expected[0])  # the PNG of image 0 is read as image 0


def test_predict_errors_are_one_line(trained, tmp_path, capsys):
    path = str(trained["mlp"])
    np.save(tmp_path / "wrong.npy", np.zeros((2, 5, 5)))
    cases = [
        (["--model", path, str(tmp_path / "nope.png")], "no such file"),
        (["--model", path, str(tmp_path / "wrong.npy")], "do not fit the model"),
        (["--model", str(trained["gru"]), str(tmp_path / "wrong.npy")], "text model"),
        (["--model", str(tmp_path / "none.npz"), str(tmp_path / "wrong.npy")], "no such file"),
        (["--model", path, "--data", str(tmp_path / "nope-idx3")], "--data"),
    ]
    for args, expected in cases:
        assert main(["predict", *args]) == 1, args
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and expected in err, (args, err)
    for args in (["--model", path], ["--model", path, "--labels", "x"]):
        assert main(["predict", *args]) == 2
        assert capsys.readouterr().err.count("\n") == 1


def test_a_sequential_saved_with_its_architecture_comes_back(tmp_path):
    from chaingrad.models import save_model

    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.1),
        nn.Linear(16, 3, bias=False),
        nn.Tanh(),
    )
    x = np.random.default_rng(0).normal(size=(5, 1, 4, 4)).astype(np.float32)
    model(cg.Tensor(x))  # training mode: moves BatchNorm's running statistics
    model.eval()
    save_model(model, tmp_path / "seq.npz")
    loaded = cg.load_model(tmp_path / "seq.npz")
    assert not loaded.training and repr(loaded) == repr(model)
    np.testing.assert_array_equal(loaded(cg.Tensor(x)).numpy(), model(cg.Tensor(x)).numpy())


def test_grouped_convolutions_come_back_and_older_files_mean_groups_1(tmp_path):
    from chaingrad.models import module_spec, save_model

    model = nn.Sequential(nn.Conv2d(4, 8, 3, groups=2), nn.Conv2d(8, 8, 1, groups=8))
    x = np.random.default_rng(1).normal(size=(2, 4, 5, 5)).astype(np.float32)
    save_model(model, tmp_path / "grouped.npz")
    loaded = cg.load_model(tmp_path / "grouped.npz")
    assert [m.groups for m in loaded] == [2, 8]
    np.testing.assert_array_equal(loaded(cg.Tensor(x)).numpy(), model(cg.Tensor(x)).numpy())
    # a file from before `groups` was recorded: its convolutions were ungrouped
    plain = nn.Sequential(nn.Conv2d(2, 3, 3))
    spec = module_spec(plain)
    del spec["children"][0]["args"]["groups"]
    plain.save(str(tmp_path / "old.npz"), metadata={"module": spec})
    assert cg.load_model(tmp_path / "old.npz")[0].groups == 1


def test_a_module_spec_is_untrusted(tmp_path):
    from chaingrad.models import module_spec

    class Mine(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="cannot describe a Mine"):
        module_spec(nn.Sequential(nn.Linear(2, 2), Mine()))
    small = nn.Sequential(nn.Linear(2, 2))
    hostile = [
        ({"type": "Linear", "args": {"in_features": 1 << 20, "out_features": 1 << 20, "bias": 1}}),
        ({"type": "os.system", "args": {}}),
        ({"type": "Sequential", "children": "x"}),
        ({"type": "Linear", "args": {"in_features": "2", "out_features": 2, "bias": True}}),
    ]
    for spec in hostile:
        small.save(str(tmp_path / "h.npz"), metadata={"module": spec})
        with pytest.raises(ValueError, match="load_model") as error:
            cg.load_model(tmp_path / "h.npz")
        assert "\n" not in str(error.value)
