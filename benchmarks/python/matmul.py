"""numpy's side of MatMulBenchmark: square double matmul GFLOP/s at 64, 256, 1024.

numpy is only a measuring stick for jgrad, never a dependency. Run:
    python3 benchmarks/python/matmul.py
"""
import time

import numpy as np


def best_time(f, seconds=3.0):
    for _ in range(3):
        f()
    best, start = float("inf"), time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    rng = np.random.default_rng(1)
    print(f"numpy {np.__version__}")
    for n in (64, 256, 1024):
        a = rng.standard_normal((n, n))
        b = rng.standard_normal((n, n))
        t = best_time(lambda: a @ b)
        print(f"matmul n={n}: {t * 1e6:10.1f} us  {2 * n**3 / t / 1e9:6.1f} GFLOP/s")


if __name__ == "__main__":
    main()
