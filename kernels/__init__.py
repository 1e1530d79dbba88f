"""numba-jitted hot loops (convolution, pooling, recurrences) over plain NumPy arrays.

No autograd inside: each kernel takes and returns arrays, and has a slow, obvious NumPy
reference beside it that the tests use as the oracle.

- ``conv.py``: conv2d / conv1d forward and backward (the public wrappers: checks, layout).
- ``conv_kernels.py``: their parallel numba drivers, per image over a flat grid.
- ``taps.py``: the two inner loops the drivers are built from (sums of shifted slices).
- ``pool.py``: max and average pooling, forward and backward.
- ``reference.py``: the NumPy reference of every kernel above.
- ``recurrent.py``: RNN, LSTM and GRU over a sequence (``recurrent_steps.py``: their fused gate
  arithmetic; ``recurrent_checks.py``: their shape checks; ``reference_recurrent.py``: oracle).
- ``checks.py``: argument checks and the canonical array layout.
- ``runtime.py``: how kernels compile and run: numba's cache where one is writable (else
  uncached, said once), a one-line notice while a cold cache compiles (quiet it with
  ``CHAINGRAD_QUIET_COMPILE=1``), one parallel kernel at a time under numba's ``workqueue`` layer.

The public functions are those of ``conv.py``, ``pool.py`` and ``recurrent.py``: each validates
its arguments (shapes against each other, index ranges, dtypes, saved records) and makes
C-contiguous copies before any jitted code reads or writes memory. The jitted functions they call
trust their arguments and are not meant to be called directly.

numba caches compiled kernels next to their source (or in ``NUMBA_CACHE_DIR``); its cache
does not notice edits to a file a kernel *calls into*, so after editing ``taps.py`` delete
``kernels/__pycache__`` (or the cache directory) before measuring.
"""
