"""numpy's side of TrainingStepBenchmark.mlp*: one SGD step of an MLP 784-256-10 (ReLU, softmax
cross-entropy) at batch 128 in float64 and in float32, written as seed 003 writes backprop by hand.
numpy is a measuring stick only.

Run:  python3 benchmarks/python/mlp_step.py
"""
import numpy as np

from timing import timings

BATCH, IN, HIDDEN, OUT, LR = 128, 784, 256, 10, 0.01


def step_in(dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((BATCH, IN)).astype(dtype)
    y = rng.integers(0, OUT, BATCH)
    a1 = np.sqrt(6 / IN)
    a2 = np.sqrt(6 / HIDDEN)
    params = {
        "w1": rng.uniform(-a1, a1, (IN, HIDDEN)).astype(dtype), "b1": np.zeros(HIDDEN, dtype),
        "w2": rng.uniform(-a2, a2, (HIDDEN, OUT)).astype(dtype), "b2": np.zeros(OUT, dtype),
    }
    onehot = np.eye(OUT, dtype=dtype)[y]
    lr = dtype(LR)

    def step():
        p = params
        z1 = x @ p["w1"] + p["b1"]
        h = np.maximum(z1, 0)
        z2 = h @ p["w2"] + p["b2"]
        z2 = z2 - z2.max(axis=1, keepdims=True)
        logp = z2 - np.log(np.exp(z2).sum(axis=1, keepdims=True))
        loss = -logp[np.arange(BATCH), y].mean()
        dz2 = (np.exp(logp) - onehot) / BATCH
        dw2 = h.T @ dz2
        db2 = dz2.sum(axis=0)
        dh = dz2 @ p["w2"].T
        dz1 = dh * (z1 > 0)
        dw1 = x.T @ dz1
        db1 = dz1.sum(axis=0)
        p["w1"] -= lr * dw1
        p["b1"] -= lr * db1
        p["w2"] -= lr * dw2
        p["b2"] -= lr * db2
        return loss

    assert step().dtype == dtype
    return step


def main():
    print(f"numpy {np.__version__}")
    for dtype in (np.float64, np.float32):
        best, mean = timings(step_in(dtype))
        print(f"mlp step 784-256-10 batch 128, {dtype.__name__}: mean {mean * 1e6:10.1f} us"
              f"   (best {best * 1e6:10.1f} us)")


if __name__ == "__main__":
    main()
