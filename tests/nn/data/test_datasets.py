"""nn.datasets: the shipped digits, splitting, toy generators, texts and the IDX reader."""

import gzip
import struct
import subprocess
import sys

import numpy as np
import pytest

from chaingrad.nn.data import datasets
from chaingrad.nn.data.datasets import (
    IdxError,
    digits,
    idx,
    idx_pair,
    moons,
    spirals,
    text,
    train_test_split,
)

# --- digits -----------------------------------------------------------------------------------

DIGITS_CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
# Rows 1, 1001 and 1797 of scikit-learn 1.9.1's sklearn/datasets/data/digits.csv.gz, read from
# the file itself: 64 pixels, row by row, then the label.
FIRST_IMAGE = [
    [0, 0, 5, 13, 9, 1, 0, 0],
    [0, 0, 13, 15, 10, 15, 5, 0],
    [0, 3, 15, 2, 0, 11, 8, 0],
    [0, 4, 12, 0, 0, 8, 8, 0],
    [0, 5, 8, 0, 0, 9, 8, 0],
    [0, 4, 11, 0, 1, 12, 7, 0],
    [0, 2, 14, 5, 10, 12, 0, 0],
    [0, 0, 6, 13, 10, 0, 0, 0],
]
IMAGE_1000_ROW_7 = [0, 0, 2, 11, 12, 15, 16, 15]  # label 1
LAST_IMAGE_ROW_5 = [0, 4, 16, 6, 4, 16, 6, 0]  # label 8
DIGITS_PIXEL_SUM = 561718


def test_digits_shapes_dtypes_range_and_exact_class_balance():
    x, y = digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 16.0
    assert np.array_equal(x, np.round(x))  # raw counts, not normalised
    assert np.bincount(y).tolist() == DIGITS_CLASS_COUNTS


def test_digits_match_the_source_file():
    x, y = digits()
    assert x[0, 0].tolist() == FIRST_IMAGE and y[0] == 0
    assert x[1000, 0, 7].tolist() == IMAGE_1000_ROW_7 and y[1000] == 1
    assert x[-1, 0, 5].tolist() == LAST_IMAGE_ROW_5 and y[-1] == 8
    assert y[:20].tolist() == list(range(10)) * 2
    assert int(x.sum(dtype=np.int64)) == DIGITS_PIXEL_SUM


def test_digits_flatten_and_dtype_options():
    flat, _ = digits(flatten=True, dtype=np.float64)
    assert flat.shape == (1797, 64) and flat.dtype == np.float64
    images, _ = digits()
    assert np.array_equal(flat, images.reshape(1797, 64))
    assert flat[0, :8].tolist() == FIRST_IMAGE[0]
    assert digits(dtype=np.uint8)[0].dtype == np.uint8


def test_digits_file_is_plain_arrays_without_pickle():
    from importlib import resources

    with (
        resources.files("nn").joinpath("data_files/digits.npz").open("rb") as f,
        np.load(f, allow_pickle=False) as archive,
    ):
        assert sorted(archive.files) == ["images", "labels"]
        assert archive["images"].dtype == np.uint8 and archive["labels"].dtype == np.int64


def test_digits_returns_fresh_arrays():
    x, y = digits()
    x[0] = -1.0
    y[0] = 9
    x2, y2 = digits()
    assert x2[0, 0].tolist() == FIRST_IMAGE and y2[0] == 0


# --- train_test_split -------------------------------------------------------------------------


def test_split_order_sizes_disjoint_and_complete():
    x = np.arange(100) * 10
    y = np.arange(100)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=0)
    assert (len(x_train), len(x_test)) == (75, 25)
    assert np.array_equal(x_train, y_train * 10) and np.array_equal(x_test, y_test * 10)
    assert not set(y_train) & set(y_test)
    assert sorted([*y_train, *y_test]) == list(range(100))


def test_split_is_deterministic_with_a_seed_and_shuffles():
    x = np.arange(50)
    a = train_test_split(x, seed=3)
    b = train_test_split(x, seed=3)
    c = train_test_split(x, seed=4)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[1], c[1])
    assert not np.array_equal(np.sort(a[0]), a[0])  # shuffled, not a slice


def test_split_fraction_rounds_test_count_up_and_counts_work():
    x = np.arange(10)
    assert [len(p) for p in train_test_split(x, test_size=0.25, seed=0)] == [7, 3]
    assert [len(p) for p in train_test_split(x, test_size=4, seed=0)] == [6, 4]


def test_split_keeps_rows_of_2d_arrays_together():
    x = np.arange(40).reshape(10, 2, 2)
    y = np.arange(10)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, seed=0)
    assert x_train.shape == (7, 2, 2) and x_test.shape == (3, 2, 2)
    assert np.array_equal(x_train[:, 0, 0], 4 * y_train)
    assert np.array_equal(x_test[:, 1, 1], 4 * y_test + 3)


def test_split_stratified_keeps_class_ratios():
    _, y = digits()
    train_idx, test_idx, y_train, y_test = train_test_split(
        np.arange(len(y)), y, test_size=0.2, seed=0, stratify=y
    )
    assert np.array_equal(y[train_idx], y_train) and np.array_equal(y[test_idx], y_test)
    assert len(y_test) == 360
    expected = np.array(DIGITS_CLASS_COUNTS) * 0.2
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - expected) < 1)
    assert (np.bincount(y_train) + np.bincount(y_test)).tolist() == DIGITS_CLASS_COUNTS


def test_split_stratified_small_unbalanced():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    _, y_test = train_test_split(y, test_size=0.2, seed=5, stratify=y)
    assert np.bincount(y_test).tolist() == [10, 6, 4]


def test_split_stratified_rounds_shares_by_largest_remainder():
    # shares of 3 test samples: 1.5, 0.9, 0.6 -> floors 1, 0, 0; the two largest remainders win
    y = np.repeat([0, 1, 2], [5, 3, 2])
    for seed in range(5):
        y_train, y_test = train_test_split(y, test_size=3, seed=seed, stratify=y)
        assert np.bincount(y_test).tolist() == [1, 1, 1]
        assert np.bincount(y_train).tolist() == [4, 2, 1]


@pytest.mark.parametrize(
    ("arrays", "kwargs", "message"),
    [
        ((np.arange(3), np.arange(4)), {}, r"different lengths \[3, 4\]"),
        ((), {}, "at least one array"),
        ((np.arange(10),), {"test_size": 0.0}, r"in \(0, 1\), got 0.0"),
        ((np.arange(10),), {"test_size": 1.0}, r"in \(0, 1\), got 1.0"),
        ((np.arange(10),), {"test_size": -0.5}, r"in \(0, 1\)"),
        ((np.arange(10),), {"test_size": 10}, "between 1 and 9"),
        ((np.arange(10),), {"test_size": 0}, "between 1 and 9"),
        ((np.arange(10),), {"test_size": "half"}, "fraction in"),
        ((np.arange(10),), {"test_size": True}, "fraction in"),
        ((np.arange(10),), {"stratify": np.zeros(9)}, r"stratify has shape \(9,\)"),
        ((np.arange(4),), {"stratify": [0, 0, 0, 1]}, "class 1 has only 1 sample"),
        ((np.arange(10),), {"test_size": 1, "stratify": [0, 1] * 5}, "cannot hold all 2"),
        ((np.float64(3.0),), {}, "scalar"),
    ],
)
def test_split_errors(arrays, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_test_split(*arrays, **kwargs)


# --- moons and spirals ------------------------------------------------------------------------


def test_moons_shapes_and_determinism():
    x, y = moons(101, noise=0.1, seed=0)
    assert x.shape == (101, 2) and x.dtype == np.float32
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [50, 51]
    x2, y2 = moons(101, noise=0.1, seed=0)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    assert not np.array_equal(x, moons(101, noise=0.1, seed=1)[0])


def test_moons_without_noise_lie_on_the_half_circles():
    x, y = moons(40, noise=0.0, seed=0)
    upper, lower = x[y == 0].astype(np.float64), x[y == 1].astype(np.float64)
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-6)


def test_spirals_shapes_balance_and_determinism():
    x, y = spirals(n_per_class=50, classes=4, noise=0.2, seed=0)
    assert x.shape == (200, 2) and x.dtype == np.float32
    assert y.shape == (200,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50] * 4
    x2, y2 = spirals(n_per_class=50, classes=4, noise=0.2, seed=0)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    assert not np.array_equal(x, spirals(n_per_class=50, classes=4, seed=1)[0])
    assert np.hypot(x[:, 0], x[:, 1]).max() <= 1.0 + 1e-6  # radii run from 0 to 1


def test_spirals_without_noise_follow_the_cs231n_formula():
    x, y = spirals(n_per_class=100, classes=3, noise=0.0, seed=0)
    r = np.linspace(0.0, 1.0, 100)
    for j in range(3):
        t = np.linspace(4.0 * j, 4.0 * (j + 1), 100)
        expected = np.stack([r * np.sin(t), r * np.cos(t)], axis=1).astype(np.float32)
        arm = x[y == j]
        order = np.lexsort((arm[:, 1], arm[:, 0]))
        assert np.allclose(arm[order], expected[np.lexsort((expected[:, 1], expected[:, 0]))])
    assert not np.array_equal(y, np.sort(y))  # shuffled like moons


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_per_class": 0}, "n_per_class >= 1"),
        ({"classes": 0}, "classes >= 1"),
        ({"noise": -0.1}, "noise"),
    ],
)
def test_spirals_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        spirals(**kwargs)


# --- text -------------------------------------------------------------------------------------


def test_text_hello_is_the_lecture_example():
    t = text("hello")
    assert t.text == "hello"
    assert t.vocab == ("h", "e", "l", "o") and t.vocab_size == 4
    assert t.encoded.dtype == np.int64 and t.encoded.tolist() == [0, 1, 2, 2, 3]
    assert t.decode(t.encoded) == "hello"
    assert t.decode([3, 2, 1, 0]) == "oleh"
    assert t.encode("").tolist() == [] and t.decode([]) == ""


def test_text_zen_is_decoded_without_printing(capsys):
    t = text("zen")
    assert capsys.readouterr().out == ""
    assert t.text.startswith("The Zen of Python, by Tim Peters\n\nBeautiful is better than ugly.")
    assert "Namespaces are one honking great idea -- let's do more of those!" in t.text
    assert list(t.vocab) == sorted(set(t.text))
    assert len(t.encoded) == len(t.text)
    assert t.decode(t.encoded) == t.text
    assert t.decode(t.encode("Simple is better")) == "Simple is better"


def test_text_zen_does_not_print_in_a_fresh_interpreter():
    code = (
        "from chaingrad.nn.data.datasets import text; "
        "t = text('zen'); assert t.text.startswith('The Zen')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "" and result.stderr == ""


def test_text_from_a_utf8_file(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("naïve café\nzz ✓\n", encoding="utf-8")
    for arg in (path, str(path)):
        t = text(arg)
        assert t.text == "naïve café\nzz ✓\n"
        assert t.vocab == tuple(sorted(set(t.text)))
        assert t.decode(t.encoded) == t.text
        assert t.vocab[t.encoded[2]] == "ï"


def test_text_encode_and_decode_errors():
    t = text("hello")
    with pytest.raises(ValueError, match=r"character 'p' at position 3"):
        t.encode("help")
    with pytest.raises(ValueError, match="index 4 at position 1"):
        t.decode([0, 4])
    with pytest.raises(ValueError, match="index -1"):
        t.decode([-1])
    with pytest.raises(ValueError, match="integer indices"):
        t.decode([0.5])


def test_text_unknown_name_lists_the_builtins():
    with pytest.raises(ValueError, match=r"unknown built-in text 'shakespeare'.*'hello', 'zen'"):
        text("shakespeare")


def test_text_missing_file_is_named(tmp_path):
    missing = tmp_path / "nowhere.txt"
    with pytest.raises(FileNotFoundError, match=r"nowhere\.txt"):
        text(missing)


def test_text_empty_and_non_utf8_files(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match=r"empty.txt is empty"):
        text(empty)
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("café".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1.txt is not UTF-8"):
        text(latin)


# --- IDX --------------------------------------------------------------------------------------

IDX_CODES = {
    np.uint8: 0x08,
    np.int8: 0x09,
    np.int16: 0x0B,
    np.int32: 0x0C,
    np.float32: 0x0D,
    np.float64: 0x0E,
}


def idx_bytes(array: np.ndarray, code: int | None = None) -> bytes:
    """An IDX file's bytes for ``array``: magic, big-endian dimensions, big-endian data."""
    code = IDX_CODES[array.dtype.type] if code is None else code
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(tmp_path, name: str, data: bytes, compress: bool = False):
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.mark.parametrize("dtype", list(IDX_CODES))
@pytest.mark.parametrize("compress", [False, True])
def test_idx_reads_every_dtype_plain_and_gzipped(tmp_path, dtype, compress):
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else np.finfo(dtype)
    values = np.array([info.min, -1 if info.min < 0 else 0, 1, 7, info.max], dtype=dtype)
    array = np.resize(values, (3, 2, 5)).astype(dtype)
    if not np.issubdtype(dtype, np.integer):
        array[0, 0, :2] = [np.pi, -1e-3]
    path = write(tmp_path, "data.idx", idx_bytes(array), compress)
    got = idx(path)
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    assert got.shape == (3, 2, 5)
    assert np.array_equal(got, array)
    got[0, 0, 0] = 0  # a writable array, not a view of the file's bytes


def test_idx_mnist_like_images_and_labels(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7).astype(np.uint8)
    images_path = write(tmp_path, "train-images-idx3-ubyte.gz", idx_bytes(images), True)
    labels_path = write(tmp_path, "train-labels-idx1-ubyte", idx_bytes(labels))
    assert np.array_equal(idx(images_path), images)
    assert np.array_equal(idx(str(labels_path)), labels) and idx(labels_path).ndim == 1
    x, y = idx_pair(images_path, labels_path)
    assert x.shape == (7, 28, 28) and x.dtype == np.uint8
    assert y.dtype == np.int64 and y.tolist() == labels.tolist()


def test_idx_gzip_is_detected_by_magic_bytes_not_the_name(tmp_path):
    array = np.arange(12, dtype=np.int16).reshape(3, 4)
    assert np.array_equal(idx(write(tmp_path, "plain.gz", idx_bytes(array))), array)
    assert np.array_equal(idx(write(tmp_path, "packed.idx", idx_bytes(array), True)), array)


def test_idx_pair_count_mismatch(tmp_path):
    images = write(tmp_path, "img.idx", idx_bytes(np.zeros((5, 2, 2), np.uint8)))
    labels = write(tmp_path, "lab.idx", idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(IdxError, match=r"img.idx has 5 images but .*lab.idx has 4 labels"):
        idx_pair(images, labels)
    with pytest.raises(IdxError, match=r"img.idx: labels must be 1-D"):
        idx_pair(labels, images)


GOOD = idx_bytes(np.arange(24, dtype=np.int32).reshape(2, 3, 4))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x08\x03" + GOOD[2:], r"not an IDX file: magic number 0x08030C03"),
        (b"PK\x03\x04" + GOOD[4:], "not an IDX file"),
        (GOOD[:2] + b"\x0a" + GOOD[3:], r"unknown IDX type code 0x0A \(known: 0x08, 0x09"),
        (GOOD[:3] + b"\x00", "zero dimensions"),
        (GOOD[:3], r"truncated: 3 bytes, shorter than the 4-byte IDX header"),
        (b"", "truncated: 0 bytes"),
        (GOOD[:10], r"truncated: 10 bytes, shorter than the 16-byte header"),
        (GOOD[:-1], r"truncated: shape \(2, 3, 4\) of int32 needs 96 data bytes, the file has 95"),
        (GOOD + b"\x00\x00", r"2 trailing extra bytes: shape \(2, 3, 4\)"),
        (idx_bytes(np.zeros((0, 3), np.uint8)), r"empty dimension in shape \(0, 3\)"),
        (GOOD[:3] + b"\x02" + GOOD[4:], r"76 trailing extra bytes: shape \(2, 3\) of int32"),
    ],
    ids=[
        "bad-magic",
        "zip-file",
        "type-code",
        "zero-dims",
        "short-header",
        "empty-file",
        "short-dims",
        "truncated-data",
        "trailing-bytes",
        "empty-dim",
        "wrong-ndim",
    ],
)
@pytest.mark.parametrize("compress", [False, True])
def test_idx_corrupt_files_raise_naming_the_file(tmp_path, data, message, compress):
    path = write(tmp_path, "corrupt-file.idx", data, compress)
    with pytest.raises(IdxError, match=message) as info:
        idx(path)
    assert str(info.value).startswith(str(path))
    assert isinstance(info.value, ValueError)


def test_idx_damaged_gzip(tmp_path):
    packed = gzip.compress(GOOD)
    with pytest.raises(IdxError, match=r"cut.gz: damaged gzip data"):
        idx(write(tmp_path, "cut.gz", packed[: len(packed) // 2]))
    with pytest.raises(IdxError, match=r"junk.gz: damaged gzip data"):
        idx(write(tmp_path, "junk.gz", packed[:10] + b"\xff" * 40))


def test_idx_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"absent\.idx"):
        idx(tmp_path / "absent.idx")


def test_public_functions_are_exported_and_documented():
    for name in datasets.__all__:
        obj = getattr(datasets, name)
        assert obj.__doc__ and obj.__doc__.strip(), name


def test_nn_datasets_is_an_alias_of_the_contract_path():
    import chaingrad.nn as nn
    import chaingrad.nn.datasets  # noqa: F401 - the alias module must import

    assert nn.datasets.digits is nn.data.datasets.digits
    assert set(nn.datasets.__all__) == set(nn.data.datasets.__all__)
