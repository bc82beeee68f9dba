"""Timing shared by the numpy measuring sticks (matmul.py, mlp_step.py)."""
import time


def timings(f, seconds=3.0):
    """(best, mean) seconds per call over `seconds` of calls, after a warm-up; JMH's avgt is a mean."""
    for _ in range(5):
        f()
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times), sum(times) / len(times)
