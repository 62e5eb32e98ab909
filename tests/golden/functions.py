"""Canonical functions whose generated gradient source is pinned (see test_golden.py).

Editing this file shifts the line numbers in the pinned sources: regenerate them deliberately
with ``CHAINRULE_UPDATE_GOLDEN=1 make test`` and review the diff.
"""

import math

import numpy as np


def polynomial(x):
    return 3 * x ** 2 - 4 * x + 5


def affine(a, b, c):
    d = a * b + c
    return d


def pendulum_energy(theta, omega, length=1.0):
    g = 9.81
    kinetic = 0.5 * (length * omega) ** 2
    potential = g * length * (1.0 - math.cos(theta))
    return kinetic + potential


def logistic_loss(w, X, y):
    z = X @ w
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


# (function, wrt, example arguments) for each pinned source.
CASES = {
    "polynomial": (polynomial, 0, (3.0,)),
    "affine": (affine, ("a", "b", "c"), (2.0, -3.0, 10.0)),
    "pendulum_energy": (pendulum_energy, ("theta", "omega"), (0.3, 1.2)),
    "logistic_loss": (logistic_loss, "w", (np.zeros(3), np.ones((4, 3)), np.ones(4))),
}


def damped_iteration(x):
    y = 0.5
    for i in range(100):
        y = math.sin(y) * 0.9 + 0.1 * x
    return y


def fall_until_ground(v0, h0):
    h = h0
    v = v0
    steps = 0
    while True:
        v = v - 9.81 * 0.01
        h = h + v * 0.01
        steps += 1
        if h < 0.0:
            break
    return h + 0.1 * steps


def square_sum(a, b):
    return a * a + b * b


def uses_helper(x, y):
    s = square_sum(x, 2.0 * y)
    return s * x


CASES.update({
    "damped_iteration": (damped_iteration, 0, (0.3,)),
    "fall_until_ground": (fall_until_ground, ("v0", "h0"), (1.0, 2.0)),
    "uses_helper": (uses_helper, (0, 1), (0.5, 1.5)),
})
