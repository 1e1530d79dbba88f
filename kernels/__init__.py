"""numba-jitted hot loops (convolution, pooling, recurrences) over plain NumPy arrays.

No autograd inside: each kernel takes and returns arrays, and has a slow, obvious NumPy
reference beside it that the tests use as the oracle.
"""
