"""Side-by-side timings of chaingrad against PyTorch (CPU) and micrograd."""
