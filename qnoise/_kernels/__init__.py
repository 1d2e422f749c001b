"""Private Numba kernels.  Kernels never validate: the Python fronts do, and raise our errors."""
