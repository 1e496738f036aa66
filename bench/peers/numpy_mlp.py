"""One backprop epoch of a 784-256-256-10 ReLU/softmax MLP in numpy (float32, batch 64, SGD),
the same network and data shape as `cargo run --release -p dendra-bench --bin rate`.

Usage: python3 bench/peers/numpy_mlp.py [ROWS] [REPS]   (prints the best epoch time)
"""
import sys
import time

import numpy as np


def epoch(x, y, ws, bs, lr=0.01, batch=64):
    n = x.shape[0]
    order = np.random.default_rng(0).permutation(n)
    for k in range(0, n - batch + 1, batch):
        idx = order[k:k + batch]
        hs, zs = [x[idx]], []
        for l, (w, b) in enumerate(zip(ws, bs)):
            z = hs[-1] @ w.T + b
            zs.append(z)
            if l + 1 < len(ws):
                hs.append(np.maximum(z, 0))
            else:
                z = z - z.max(axis=1, keepdims=True)
                p = np.exp(z)
                p /= p.sum(axis=1, keepdims=True)
        d = p
        d[np.arange(batch), y[idx]] -= 1
        d /= batch
        for l in range(len(ws) - 1, -1, -1):
            gw = d.T @ hs[l]
            gb = d.sum(axis=0)
            if l > 0:
                d = (d @ ws[l]) * (zs[l - 1] > 0)
            ws[l] -= lr * gw
            bs[l] -= lr * gb


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    i = np.arange(rows)[:, None]
    j = np.arange(784)[None, :]
    x = (((i * 31 + j * 7) % 255) / 255.0).astype(np.float32)
    y = (np.arange(rows) % 10).astype(np.int64)
    sizes = [784, 256, 256, 10]
    best = float("inf")
    for _ in range(reps):
        rng = np.random.default_rng(1)
        ws = [(rng.standard_normal((o, n)) * np.sqrt(2.0 / n)).astype(np.float32) for n, o in zip(sizes, sizes[1:])]
        bs = [np.zeros(o, np.float32) for o in sizes[1:]]
        t = time.perf_counter()
        epoch(x, y, ws, bs)
        best = min(best, time.perf_counter() - t)
    print(f"numpy {np.__version__} backprop epoch, {rows} rows, batch 64: {best:.3f} s (best of {reps})")


if __name__ == "__main__":
    main()
