"""The differentiable ops, grouped by kind; ``Tensor`` methods are thin calls into these."""
