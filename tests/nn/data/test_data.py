"""DataLoader coverage and determinism; augmentation shapes, exactness and determinism."""

import numpy as np
import pytest

from chaingrad.autograd import Tensor
from chaingrad.nn.data import (
    Compose,
    DataLoader,
    Dataset,
    RandomCrop,
    RandomHorizontalFlip,
    RandomRotation,
    Standardize,
    TensorDataset,
)


def _data(n=23):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    return x, np.arange(n)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_every_example_comes_exactly_once_per_epoch(shuffle, drop_last):
    x, y = _data()
    loader = DataLoader(
        TensorDataset(x, y), batch_size=5, shuffle=shuffle, drop_last=drop_last, seed=0
    )
    seen = []
    for xb, yb in loader:
        assert isinstance(xb, Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64
        np.testing.assert_array_equal(xb.numpy()[:, 0], 2 * yb.numpy())  # rows stay paired
        seen.extend(yb.numpy().tolist())
    assert len(loader) == (4 if drop_last else 5)
    assert len(seen) == (20 if drop_last else 23) and len(set(seen)) == len(seen)
    assert (seen == sorted(seen)) == (not shuffle)


def test_shuffling_is_reproducible_with_a_seed_and_changes_every_epoch():
    x, y = _data()

    def epochs(seed):
        loader = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=seed)
        return [np.concatenate([yb.numpy() for _, yb in loader]) for _ in range(2)]

    first, second = epochs(1), epochs(1)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[0], epochs(2)[0])


def test_a_plain_dataset_is_collated_and_the_transform_sees_the_inputs():
    class Squares(Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return np.array([i, i * i], np.float32), i

    loader = DataLoader(Squares(), batch_size=3, transform=lambda xb: xb * 10)
    batches = list(loader)
    assert [b[0].shape for b in batches] == [(3, 2), (3, 2), (1, 2)]
    np.testing.assert_array_equal(batches[1][0].numpy(), [[30, 90], [40, 160], [50, 250]])
    np.testing.assert_array_equal(batches[2][1].numpy(), [6])


def test_loader_errors():
    with pytest.raises(ValueError, match=r"different lengths \[3, 2\]"):
        TensorDataset(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        DataLoader(TensorDataset(np.ones(3)), batch_size=0)


def _images(n=6, c=2, h=5, w=7, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w)).astype(np.float32)


def test_horizontal_flip_mirrors_the_chosen_images():
    x = _images()
    out = RandomHorizontalFlip(p=1.0)(x)
    np.testing.assert_array_equal(out, x[..., ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0)(x), x)
    half = RandomHorizontalFlip(p=0.5, seed=3)(x)
    flipped = [np.array_equal(half[i], x[i, ..., ::-1]) for i in range(len(x))]
    kept = [np.array_equal(half[i], x[i]) for i in range(len(x))]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)


def test_random_crop_shapes_and_exact_windows():
    x = _images()
    np.testing.assert_array_equal(RandomCrop((5, 7))(x), x)  # the only window is the image
    out = RandomCrop(4, padding=2, seed=0)(x)
    assert out.shape == (6, 2, 4, 4)
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    for i in range(len(x)):  # every crop is some window of its own padded image
        windows = [
            (t, l)
            for t in range(padded.shape[2] - 3)
            for l in range(padded.shape[3] - 3)  # noqa: E741
            if np.array_equal(out[i], padded[i, :, t : t + 4, l : l + 4])
        ]
        assert windows
    with pytest.raises(ValueError, match=r"a \(9, 9\) crop does not fit padded images"):
        RandomCrop(9)(x)


def test_rotation_by_90_degrees_is_exact_and_zero_degrees_is_the_identity():
    x = _images(h=6, w=6)
    np.testing.assert_allclose(RandomRotation((0, 0))(x), x, atol=1e-6)
    np.testing.assert_allclose(
        RandomRotation((90, 90))(x), np.rot90(x, k=1, axes=(2, 3)), atol=1e-5
    )
    out = RandomRotation(30, seed=0)(x)
    assert out.shape == x.shape and out.dtype == x.dtype


def test_augmentation_is_deterministic_with_seeds():
    x = _images()

    def pipeline():
        return Compose(
            [
                RandomCrop(5, padding=1, seed=4),
                RandomRotation(20, seed=5),
                RandomHorizontalFlip(seed=6),
            ]
        )

    np.testing.assert_array_equal(pipeline()(x), pipeline()(x))
    with pytest.raises(ValueError, match=r"expected an NCHW batch \(4-D\), got shape \(6, 2\)"):
        RandomHorizontalFlip()(np.ones((6, 2)))


def test_standardize_uses_training_statistics_per_channel():
    train, test = _images(seed=1) * 5 + 3, _images(seed=2)
    standardize = Standardize.fit(train, axis=(0, 2, 3))
    out = standardize(train)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, atol=1e-4)
    np.testing.assert_allclose(
        standardize(test), (test - standardize.mean) / standardize.std, rtol=1e-6
    )
    centred = Standardize.fit(train, scale=False)(train)
    np.testing.assert_allclose(centred.mean(axis=0), 0, atol=1e-5)


def test_a_feature_that_never_varies_gets_scale_one():
    train = np.zeros((4, 2), np.float32)
    train[:, 1] = [1, 2, 3, 4]
    standardize = Standardize.fit(train)
    out = standardize(np.array([[5.0, 2.5]], np.float32))
    np.testing.assert_allclose(out, [[5.0, 0.0]])  # shifted by the mean 0, not divided by 0
