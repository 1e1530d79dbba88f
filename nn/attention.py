"""``nn.MultiheadAttention`` with PyTorch's parameter names, so a torch state dict loads."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chaingrad.autograd import Tensor
from chaingrad.nn import functional as F
from chaingrad.nn import init
from chaingrad.nn.layers import Linear
from chaingrad.nn.module import Module, Parameter


def _mask_array(mask: Any) -> np.ndarray:
    return mask.numpy() if isinstance(mask, Tensor) else np.asarray(mask)


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads over ``embed_dim`` features: ``in_proj_weight``
    (3E, E) stacks the query, key and value projections, ``out_proj`` is a Linear(E, E).

    Inputs are (L, N, E), or (N, L, E) with ``batch_first``, or unbatched (L, E). Masks follow
    PyTorch's MultiheadAttention (the opposite of scaled_dot_product_attention): a bool True in
    ``attn_mask`` (L, S) or (N·heads, L, S) or ``key_padding_mask`` (N, S) means "leave out";
    float masks are added to the scores.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
    ) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim {embed_dim} is not divisible by num_heads "
                f"{num_heads}"
            )
        if (
            add_bias_kv
            or add_zero_attn
            or kdim not in (None, embed_dim)
            or vdim
            not in (
                None,
                embed_dim,
            )
        ):
            raise ValueError(
                "MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim other than "
                "embed_dim are not supported"
            )
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        # PyTorch's init: Xavier-uniform stacked projection, zero biases
        self.in_proj_weight = Parameter(np.zeros((3 * embed_dim, embed_dim), np.float32))
        init.xavier_uniform_(self.in_proj_weight)
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, np.float32)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        if bias:
            init.zeros_(self.out_proj.bias)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """(attention output shaped like ``query``, weights (N, L, S) averaged over heads, or
        (N, heads, L, S), or None when ``need_weights`` is False)."""
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
        elif self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        # now (L, N, E) like PyTorch's inner computation
        if (
            query.ndim != 3
            or query.shape[-1] != self.embed_dim
            or key.shape != value.shape
            or key.shape[1:] != query.shape[1:]
        ):
            raise ValueError(
                f"MultiheadAttention: query {query.shape}, key {key.shape}, value {value.shape} "
                f"(read as (L, N, E)) do not fit embed_dim {self.embed_dim}"
            )
        (L, N, E), S, H, D = query.shape, key.shape[0], self.num_heads, self.head_dim  # noqa: N806
        w_q, w_k, w_v = self.in_proj_weight.chunk(3, 0)
        b_q, b_k, b_v = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3)

        def heads(x: Tensor, w: Tensor, b: Tensor | None, length: int) -> Tensor:
            # (T, N, E) -> (N, H, T, D)
            return F.linear(x, w, b).reshape(length, N, H, D).permute(1, 2, 0, 3)

        q, k, v = heads(query, w_q, b_q, L), heads(key, w_k, b_k, S), heads(value, w_v, b_v, S)
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D))  # (N, H, L, S)
        if is_causal and attn_mask is None:
            attn_mask = ~np.tril(np.ones((L, S), bool))
        if attn_mask is not None:
            mask = _mask_array(attn_mask)
            if mask.ndim == 3:  # (N·H, L, S)
                mask = mask.reshape(N, H, L, S)
            scores = self._masked(scores, mask)
        if key_padding_mask is not None:
            mask = _mask_array(key_padding_mask)
            if mask.shape != (N, S) and not (unbatched and mask.shape == (S,)):
                raise ValueError(
                    f"MultiheadAttention: key_padding_mask of shape {mask.shape} does not fit "
                    f"batch {N} and source length {S}"
                )
            scores = self._masked(scores, mask.reshape(N, 1, 1, S))
        weights = scores.softmax(-1)
        dropped = F.dropout(weights, self.dropout, self.training) if self.dropout else weights
        out = (dropped @ v).permute(2, 0, 1, 3).reshape(L, N, E)  # (L, N, E)
        out = self.out_proj(out)
        if unbatched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(1)
        if unbatched:
            weights = weights.squeeze(0)
        return out, weights

    @staticmethod
    def _masked(scores: Tensor, mask: np.ndarray) -> Tensor:
        if mask.dtype == bool:
            return scores.masked_fill(mask, float("-inf"))
        return scores + mask.astype(scores.dtype)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
