"""numpy's side of MlpScalingBenchmark: mlp_step.py's SGD step (ReLU between layers, softmax
cross-entropy, float64) at the benchmark's batch and layer sizes. numpy is a measuring stick only.

Run:  python3 benchmarks/python/mlp_scaling.py
"""
import numpy as np

from timing import timings

LR = 0.01
CONFIGS = ("128x784-256-10", "1024x784-256-10", "128x784-1024-1024-10")


def step_for(config, rng):
    batch, sizes = config.split("x")
    batch, sizes = int(batch), [int(s) for s in sizes.split("-")]
    x = rng.standard_normal((batch, sizes[0]))
    y = rng.integers(0, sizes[-1], batch)
    onehot = np.eye(sizes[-1])[y]
    ws = [rng.uniform(-np.sqrt(6 / a), np.sqrt(6 / a), (a, b)) for a, b in zip(sizes, sizes[1:])]
    bs = [np.zeros(b) for b in sizes[1:]]

    def step():
        hs, zs = [x], []
        for i, (w, b) in enumerate(zip(ws, bs)):
            z = hs[-1] @ w + b
            zs.append(z)
            if i + 1 < len(ws):
                hs.append(np.maximum(z, 0))
        z = zs[-1] - zs[-1].max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -logp[np.arange(batch), y].mean()
        dz = (np.exp(logp) - onehot) / batch
        for i in reversed(range(len(ws))):
            dw = hs[i].T @ dz
            db = dz.sum(axis=0)
            if i > 0:
                dz = (dz @ ws[i].T) * (zs[i - 1] > 0)
            ws[i] -= LR * dw
            bs[i] -= LR * db
        return loss

    return step


def main():
    rng = np.random.default_rng(1)
    print(f"numpy {np.__version__}")
    for config in CONFIGS:
        best, mean = timings(step_for(config, rng))
        print(f"mlp step {config}: mean {mean * 1e6:10.1f} us   (best {best * 1e6:10.1f} us)")


if __name__ == "__main__":
    main()
