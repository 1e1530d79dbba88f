"""numba-jitted hot loops (convolution, pooling, recurrences) over plain NumPy arrays.

No autograd inside: each kernel takes and returns arrays, and has a slow, obvious NumPy
reference beside it that the tests use as the oracle.

One folder per op, each with the same four files side by side: ``op.py`` (the public functions:
they validate their arguments, lay out the arrays and run the kernel), ``checks.py`` (those
argument checks), ``fast.py`` (the numba kernels) and ``reference.py`` (the same math as slow,
obvious NumPy loops: read it first):

- ``conv/``: conv2d / conv1d forward and backward (``conv/taps.py``: the inner tap loops).
- ``pool/``: max and average pooling, forward and backward.
- ``recurrent/``: RNN, LSTM and GRU over a sequence, forward and backward through time.

Shared:

- ``checks.py``: argument checks and the canonical array layout.
- ``runtime.py``: how kernels compile and run: numba's cache where one is writable (else
  uncached, said once), a one-line notice while a cold cache compiles (quiet it with
  ``CHAINGRAD_QUIET_COMPILE=1``), one parallel kernel at a time under numba's ``workqueue`` layer;
  whether chaingrad's own threads are busy (``threads_busy``: a parallel kernel ran just now).
- ``blas.py``: NumPy's OpenBLAS: its thread count, its ``cblas_?gemm`` for the fused LSTM
  sweeps, and ``matmul``, which keeps small products to one BLAS thread while the kernels run
  in parallel (an idle OpenBLAS worker spins ~0.1 s and would take a kernel's core).

The public functions are those the three folders export: each validates
its arguments (shapes against each other, index ranges, dtypes, saved records) and makes
C-contiguous copies before any jitted code reads or writes memory. The jitted functions they call
trust their arguments and are not meant to be called directly.

numba caches compiled kernels next to their source (or in ``NUMBA_CACHE_DIR``); its cache
does not notice edits to a file a kernel *calls into*, so after editing ``conv/taps.py`` delete
``kernels/conv/__pycache__`` (or the cache directory) before measuring.
"""
