"""numpy's side of MatMulBenchmark: square matmul GFLOP/s at 64, 256, 1024, float64 and float32.

numpy is only a measuring stick for jgrad, never a dependency. Run:
    python3 benchmarks/python/matmul.py
"""
import numpy as np

from timing import timings


def main():
    rng = np.random.default_rng(1)
    print(f"numpy {np.__version__}")
    for dtype, n in [(d, n) for d in (np.float64, np.float32) for n in (64, 256, 1024)]:
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        best, mean = timings(lambda: a @ b)
        print(f"matmul {dtype.__name__} n={n}: mean {mean * 1e6:10.1f} us = {2 * n**3 / mean / 1e9:6.1f} GFLOP/s"
              f"   (best {best * 1e6:10.1f} us = {2 * n**3 / best / 1e9:6.1f} GFLOP/s)")


if __name__ == "__main__":
    main()
