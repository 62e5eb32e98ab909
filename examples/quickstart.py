"""chainrule quick start: gradients of plain Python functions, and the code that computes them.

Run with `make demo`. Each check prints OK or raises.
"""

import numpy as np

import chainrule
from chainrule import check_grad, grad, value_and_grad


def check(label, got, expected):
    ok = np.allclose(got, expected, rtol=1e-12, atol=1e-12)
    print(f"{'OK  ' if ok else 'FAIL'} {label}: {got!r} (expected {expected!r})")
    if not ok:
        raise SystemExit(1)


# 1. A polynomial: f'(x) = 6x - 4, so f'(3) = 14.
def f(x):
    return 3 * x ** 2 - 4 * x + 5


df = grad(f)
check("grad(f)(3.0)", df(3.0), 14.0)
print(df.source)


# 2. Several inputs at once: d = a*b + c.
def d(a, b, c):
    return a * b + c


dd = grad(d, wrt=("a", "b", "c"))
check("grad(d, wrt=('a', 'b', 'c'))(2.0, -3.0, 10.0)", dd(2.0, -3.0, 10.0), (-3.0, 2.0, 1.0))
print(dd.source)


# 3. NumPy: the loss of a one-layer tanh network, gradient for the weights.
def loss(W, x, y):
    prediction = np.tanh(W @ x)
    return np.mean((prediction - y) ** 2)


rng = np.random.default_rng(0)
W, x, y = rng.standard_normal((3, 4)), rng.standard_normal((4, 8)), rng.standard_normal((3, 8))
value, dW = value_and_grad(loss)(W, x, y)
print(grad(loss).source_for(W, x, y))
check("loss gradient matches finite differences (max scaled error < 1)",
      check_grad(loss, W, x, y) < 1.0, True)
print(f"loss = {value:.6f}, |dL/dW| = {np.linalg.norm(dW):.6f}")
print(f"cache: {chainrule.cache_info()}")
