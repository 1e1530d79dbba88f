"""numba-jitted hot loops (convolution, pooling, recurrences) over plain NumPy arrays.

No autograd inside: each kernel takes and returns arrays, and has a slow, obvious NumPy
reference beside it that the tests use as the oracle.

- ``conv.py``: conv2d / conv1d forward and backward (the public wrappers: checks, layout).
- ``conv_kernels.py``: their parallel numba drivers, per image over a flat grid.
- ``taps.py``: the two inner loops the drivers are built from (sums of shifted slices).
- ``pool.py``: max and average pooling, forward and backward.
- ``reference.py``: the NumPy reference of every kernel above.
- ``checks.py``: argument checks and the canonical array layout.

numba caches compiled kernels next to their source (or in ``NUMBA_CACHE_DIR``); its cache
does not notice edits to a file a kernel *calls into*, so after editing ``taps.py`` delete
``kernels/__pycache__`` (or the cache directory) before measuring.
"""
