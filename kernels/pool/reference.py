"""The NumPy references of the pooling kernels: slow, obvious loops the tests use as the oracle."""

from __future__ import annotations

import numpy as np

from chaingrad.kernels.conv.reference import out_size, pad_with, result_dtype


def max_pool2d_forward_reference(
    x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Each window's maximum (the first on ties; NaN wins) and its flat index in the plane."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, wd = x.shape
    ho, wo = out_size(h, kh, sh, ph), out_size(wd, kw, sw, pw)
    y = np.empty((n, c, ho, wo), dtype=result_dtype(x))
    arg = np.empty((n, c, ho, wo), dtype=np.int64)
    for a in range(n):
        for b in range(c):
            for i in range(ho):
                for j in range(wo):
                    best, where = -np.inf, -1
                    for u in range(i * sh - ph, i * sh - ph + kh):
                        for v in range(j * sw - pw, j * sw - pw + kw):
                            if not (0 <= u < h and 0 <= v < wd):
                                continue  # padding is -inf: never the maximum
                            val = x[a, b, u, v]
                            if where < 0 or val > best or np.isnan(val):
                                best, where = val, u * wd + v
                    y[a, b, i, j], arg[a, b, i, j] = best, where
    return y, arg


def max_pool2d_backward_reference(
    gy: np.ndarray, argmax: np.ndarray, x_shape: tuple[int, int, int, int]
) -> np.ndarray:
    """Each output's gradient goes to the input element that was its window's maximum."""
    n, c, h, wd = x_shape
    gx = np.zeros((n, c, h * wd), dtype=np.float64)
    for a in range(n):
        for b in range(c):
            for i, j in np.ndindex(*gy.shape[2:]):
                gx[a, b, argmax[a, b, i, j]] += gy[a, b, i, j]
    return gx.reshape(x_shape).astype(result_dtype(gy))


def avg_pool2d_forward_reference(
    x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int]
) -> np.ndarray:
    """The mean of each zero-padded window, padding counted (count_include_pad=True)."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, wd = x.shape
    ho, wo = out_size(h, kh, sh, ph), out_size(wd, kw, sw, pw)
    xp = pad_with(np.asarray(x, np.float64), ph, pw)
    y = np.empty((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            y[:, :, i, j] = xp[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw].sum(axis=(2, 3))
    return (y / (kh * kw)).astype(result_dtype(x))


def avg_pool2d_backward_reference(
    gy: np.ndarray,
    x_shape: tuple[int, int, int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
) -> np.ndarray:
    """Each output's gradient is shared equally by the kh*kw cells of its (padded) window."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, wd = x_shape
    gxp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    g = np.asarray(gy, np.float64) / (kh * kw)
    for i in range(gy.shape[2]):
        for j in range(gy.shape[3]):
            gxp[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw] += g[:, :, i, j, None, None]
    return gxp[:, :, ph : ph + h, pw : pw + wd].astype(result_dtype(gy))


def window_offsets_reference(
    argmax: np.ndarray,
    x_shape: tuple[int, int, int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
) -> np.ndarray:
    """Flat plane indices ih * W + iw as offsets (ih - oh*sh + ph) * kw + (iw - ow*sw + pw)
    within each output's padded window (the compact argmax of small windows)."""
    (_, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    ih, iw = np.divmod(np.asarray(argmax, np.int64), x_shape[3])
    top = np.arange(argmax.shape[2])[:, None] * sh - ph  # each window's first row and column
    left = np.arange(argmax.shape[3])[None, :] * sw - pw
    return (ih - top) * kw + (iw - left)


def max_pool2d_backward_offsets_reference(
    gy: np.ndarray,
    offsets: np.ndarray,
    x_shape: tuple[int, int, int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
) -> np.ndarray:
    """Each output's gradient goes to the input element at its offset within the window."""
    (_, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    gx = np.zeros(x_shape, dtype=np.float64)
    for a, b, i, j in np.ndindex(*gy.shape):
        u, v = divmod(int(offsets[a, b, i, j]), kw)
        gx[a, b, i * sh - ph + u, j * sw - pw + v] += gy[a, b, i, j]
    return gx.astype(result_dtype(gy))
