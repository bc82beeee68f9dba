"""numpy's side of KernelsBenchmark: the same kernels on the same 1000 x 1000 shapes, float64 and float32.

numpy is only a measuring stick for jgrad, never a dependency. Run both ways and take the faster
(a fresh large allocation can page-fault on these machines):
    python3 benchmarks/python/kernels.py
    MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456 python3 benchmarks/python/kernels.py
The backward kernels are written out by hand, as a numpy user would: the forward, then the gradient
of the seed through it. numpy has no erf: where SciPy is installed, erf and its backward run
scipy.special.erf instead, the Python ecosystem's reference (left out otherwise). numpy has no
sigmoid either: it runs 1 / (1 + e^-a), which took 2-3x less time than SciPy's scipy.special.expit.
Names given as arguments run only those kernels:
    python3 benchmarks/python/kernels.py log sigmoid
"""
import math
import sys

import numpy as np

try:
    from scipy.special import erf as scipy_erf
except ImportError:
    scipy_erf = None

from timing import timings


def softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def a_log_softmax(a):
    s = a - a.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def main():
    for dtype in (np.float64, np.float32):
        measure(1000, dtype, sys.argv[1:])


def measure(n, dtype, only):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    row = rng.standard_normal(n).astype(dtype)
    param = (rng.random((n, n)) + 0.5).astype(dtype)
    seed = rng.standard_normal((n, n)).astype(dtype)
    unit = rng.random((n, n)).astype(dtype)
    signed = rng.standard_normal((n, n)).astype(dtype)

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def exp_backward():
        y = np.exp(param)
        return seed * y

    def log_backward():
        np.log(param)
        return seed / param

    def sigmoid_backward():
        y = sigmoid(param)
        return seed * (y * (1 - y))

    def tanh_backward():
        y = np.tanh(param)
        return seed * (1 - y * y)

    def sqrt_backward():
        y = np.sqrt(param)
        return seed / (2 * y)

    def erf_backward():
        scipy_erf(param)
        return seed * (2 / math.sqrt(math.pi)) * np.exp(-param * param)

    def sin_backward():
        np.sin(param)
        return seed * np.cos(param)

    def softplus_backward():
        np.logaddexp(0, param)
        return seed / (1 + np.exp(-param))

    def pow2_backward():
        np.square(param)
        return seed * (2 * param)

    def pow3_backward():
        np.power(param, 3)
        return seed * (3 * np.power(param, 2))

    def clamp_backward():
        np.clip(param, 0.75, 1.25)
        return np.where((param >= 0.75) & (param <= 1.25), seed, 0)

    def abs_backward():
        np.abs(signed)
        return seed * np.sign(signed)

    def maximum_scalar_backward():
        np.maximum(param, 1.0)
        return seed * (param > 1.0) + 0.5 * seed * (param == 1.0)

    def log_softmax_backward():
        y = a_log_softmax(param)
        return seed - np.exp(y) * seed.sum(axis=1, keepdims=True)

    kernels = {
        "add": lambda: a + b,
        "addRow": lambda: a + row,
        "mul": lambda: a * b,
        "relu": lambda: np.maximum(a, 0),
        "exp": lambda: np.exp(a),
        "tanh": lambda: np.tanh(a),
        "log": lambda: np.log(param),
        "sigmoid": lambda: sigmoid(a),
        "sumAll": lambda: a.sum(),
        "sumRows": lambda: a.sum(axis=1),
        "sumCols": lambda: a.sum(axis=0),
        "max": lambda: a.max(axis=1),
        "softmax": lambda: softmax(a),
        "transpose": lambda: np.ascontiguousarray(a.T),
        "sqrt": lambda: np.sqrt(param),
        "log1p": lambda: np.log1p(unit),
        "sin": lambda: np.sin(param),
        "softplus": lambda: np.logaddexp(0, param),
        "mulBackward": lambda: (param * b, seed * b)[1],
        "expBackward": exp_backward,
        "logBackward": log_backward,
        "sigmoidBackward": sigmoid_backward,
        "tanhBackward": tanh_backward,
        "sqrtBackward": sqrt_backward,
        "sinBackward": sin_backward,
        "softplusBackward": softplus_backward,
        "pow2": lambda: np.power(param, 2),
        "pow2Backward": pow2_backward,
        "pow3": lambda: np.power(param, 3),
        "pow3Backward": pow3_backward,
        "clamp": lambda: np.clip(a, -1, 1),
        "clampBackward": clamp_backward,
        "abs": lambda: np.abs(signed),
        "absBackward": abs_backward,
        "maximumScalarBackward": maximum_scalar_backward,
        "logSoftmaxBackward": log_softmax_backward,
    }
    if scipy_erf is not None:
        kernels["erf"] = lambda: scipy_erf(a)
        kernels["erfBackward"] = erf_backward
    print(f"numpy {np.__version__}, {n} x {n} {dtype.__name__}")
    for name, f in kernels.items():
        if only and name not in only:
            continue
        best, mean = timings(f, 2.0)
        print(f"{name:>21}: mean {mean * 1e6:9.1f} us   (best {best * 1e6:9.1f} us)")


if __name__ == "__main__":
    main()
