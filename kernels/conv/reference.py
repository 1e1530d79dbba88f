"""Slow, obvious NumPy versions of every kernel: the tests' oracle.

Each function loops over output positions (or pooling windows) and states the definition
directly; arithmetic is done in float64 and the result is returned in the inputs' dtype. Same
signatures as the fast kernels, with a ``_reference`` suffix.
"""

from __future__ import annotations

import numpy as np


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def result_dtype(*arrays: np.ndarray) -> np.dtype:
    return np.result_type(*(np.asarray(a).dtype for a in arrays), np.float32)


def pad_with(x: np.ndarray, ph: int, pw: int, value: float = 0.0) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def conv2d_forward_reference(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    stride: tuple[int, int],
    padding: tuple[int, int],
) -> np.ndarray:
    """y[n, o, i, j] = b[o] + sum over c, u, v of w[o, c, u, v] * xpad[n, c, i*sh + u, j*sw + v]."""
    dtype = result_dtype(x, w) if b is None else result_dtype(x, w, b)
    (sh, sw), (ph, pw) = stride, padding
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = out_size(h, kh, sh, ph), out_size(wd, kw, sw, pw)
    xp = pad_with(np.asarray(x, np.float64), ph, pw)
    w64 = np.asarray(w, np.float64)
    y = np.zeros((n, o, ho, wo))
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw]  # (N, C, kh, kw)
            y[:, :, i, j] = np.einsum("ncuv,ocuv->no", window, w64)
    if b is not None:
        y += np.asarray(b, np.float64)[None, :, None, None]
    return y.astype(dtype)


def conv2d_backward_reference(
    gy: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    stride: tuple[int, int],
    padding: tuple[int, int],
    need_input: bool,
    need_weight: bool,
    need_bias: bool,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Each output position sends gy * w back to its window of x and gy * window to w."""
    dtype = result_dtype(gy, x, w)
    (sh, sw), (ph, pw) = stride, padding
    _, _, h, wd = x.shape
    _, _, kh, kw = w.shape
    _, _, ho, wo = gy.shape
    xp = pad_with(np.asarray(x, np.float64), ph, pw)
    w64, g64 = np.asarray(w, np.float64), np.asarray(gy, np.float64)
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(w64)
    for i in range(ho):
        for j in range(wo):
            rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
            g = g64[:, :, i, j]  # (N, O)
            gxp[:, :, rows, cols] += np.einsum("no,ocuv->ncuv", g, w64)
            gw += np.einsum("no,ncuv->ocuv", g, xp[:, :, rows, cols])
    gx = gxp[:, :, ph : ph + h, pw : pw + wd]
    gb = g64.sum(axis=(0, 2, 3))
    return (
        gx.astype(dtype) if need_input else None,
        gw.astype(dtype) if need_weight else None,
        gb.astype(dtype) if need_bias else None,
    )


def conv1d_forward_reference(
    x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: int, padding: int
) -> np.ndarray:
    """y[n, o, i] = b[o] + sum over c, u of w[o, c, u] * xpad[n, c, i*s + u]."""
    dtype = result_dtype(x, w) if b is None else result_dtype(x, w, b)
    n, _, length = x.shape
    o, _, k = w.shape
    lo = out_size(length, k, stride, padding)
    xp = np.pad(np.asarray(x, np.float64), ((0, 0), (0, 0), (padding, padding)))
    y = np.zeros((n, o, lo))
    for i in range(lo):
        window = xp[:, :, i * stride : i * stride + k]  # (N, C, k)
        y[:, :, i] = np.einsum("ncu,ocu->no", window, np.asarray(w, np.float64))
    if b is not None:
        y += np.asarray(b, np.float64)[None, :, None]
    return y.astype(dtype)


def conv1d_backward_reference(
    gy: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    stride: int,
    padding: int,
    need_input: bool,
    need_weight: bool,
    need_bias: bool,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Each output position sends gy * w back to its window of x and gy * window to w."""
    dtype = result_dtype(gy, x, w)
    length, k = x.shape[2], w.shape[2]
    xp = np.pad(np.asarray(x, np.float64), ((0, 0), (0, 0), (padding, padding)))
    w64, g64 = np.asarray(w, np.float64), np.asarray(gy, np.float64)
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(w64)
    for i in range(gy.shape[2]):
        span = slice(i * stride, i * stride + k)
        g = g64[:, :, i]  # (N, O)
        gxp[:, :, span] += np.einsum("no,ocu->ncu", g, w64)
        gw += np.einsum("no,ncu->ocu", g, xp[:, :, span])
    gx = gxp[:, :, padding : padding + length]
    gb = g64.sum(axis=(0, 2))
    return (
        gx.astype(dtype) if need_input else None,
        gw.astype(dtype) if need_weight else None,
        gb.astype(dtype) if need_bias else None,
    )


def conv_output_size_reference(size: int, kernel: int, stride: int, padding: int) -> int:
    """floor((size + 2 * padding - kernel) / stride) + 1."""
    return out_size(size, kernel, stride, padding)
