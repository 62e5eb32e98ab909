"""Functions the benchmarks differentiate."""

import math

import numpy as np


def twenty_lines(x, y, w):
    """A 20-line user function mixing scalar math and NumPy (for the transform benchmark)."""
    a = x * y + 1.0
    b = math.sin(a) * math.exp(-0.1 * a)
    c = a ** 2 - 3.0 * b
    d = math.sqrt(c * c + 1.0)
    e = math.log(d + 2.0) / (1.0 + b * b)
    f = abs(e - a) + max(a, b)
    g = np.tanh(w * f)
    h = np.sum(g * g, axis=0)
    k = np.mean(h) + e
    m = k * k - 2.0 * k
    n = m / (1.0 + math.cosh(0.01 * m))
    p = np.exp(-0.5 * w * w)
    q = np.dot(p, p) + n
    r = q ** 1.5
    s = r - np.sum(np.log1p(p))
    t = s * 0.5 + a
    u = np.maximum(w, 0.0)
    v = np.sum(u * w) + t
    z = v / (1.0 + abs(v))
    return z + s * 1e-3


def polynomial(x):
    return 3.0 * x ** 2 - 4.0 * x + 5.0
