"""Functions the benchmarks differentiate.

Each workload has

* a *primal*: plain Python/NumPy code, written the way a user would, that ``chainrule.grad``
  differentiates (loops, ``while``, a value-dependent branch);
* a *hand-written* gradient: the fastest reasonable backprop a person would write by hand in
  NumPy/Python for the same function (what chainrule's generated code is measured against);
* a *peer* version built by ``make_peer(xp)`` from an array namespace (``autograd.numpy``,
  ``jax.numpy`` or ``torch``): the primal line for line, with ``math``/``np`` replaced by
  ``xp`` — the same code for every peer.

``WORKLOADS`` lists them with their arguments (full size, a tiny ``quick`` size for the smoke
test, and a ``memory`` size for the peak-memory measurement).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


# == 1. scalar_loop: 100 iterations of y = sin(y) * 0.9 + 0.1 * x ============================

def scalar_loop(x, n):
    y = x
    for i in range(n):
        y = math.sin(y) * 0.9 + 0.1 * x
    return y


def scalar_loop_hand(x, n):
    y = x
    ys = []
    for i in range(n):
        ys.append(y)
        y = math.sin(y) * 0.9 + 0.1 * x
    y_bar = 1.0
    x_bar = 0.0
    for y in reversed(ys):
        x_bar += 0.1 * y_bar
        y_bar = 0.9 * math.cos(y) * y_bar
    return x_bar + y_bar


def scalar_loop_peer(xp):
    def scalar_loop(x, n):
        y = x
        for i in range(n):
            y = xp.sin(y) * 0.9 + 0.1 * x
        return y
    return scalar_loop


# == 2. mlp: tanh MLP 784 -> 128 -> 10, batch 256, mean squared error ========================

def mlp(W1, W2, X, Y):
    h = np.tanh(X @ W1)
    out = h @ W2
    return np.mean((out - Y) ** 2)


def mlp_hand(W1, W2, X, Y):
    h = np.tanh(X @ W1)
    d = h @ W2 - Y
    g = d * (2.0 / d.size)
    W2_bar = h.T @ g
    z_bar = (g @ W2.T) * (1.0 - h * h)
    W1_bar = X.T @ z_bar
    return W1_bar, W2_bar


def mlp_peer(xp):
    def mlp(W1, W2, X, Y):
        h = xp.tanh(X @ W1)
        out = h @ W2
        return xp.mean((out - Y) ** 2)
    return mlp


# == 3. rnn: 50 steps of h = tanh(Wh @ h + Wx @ x_t), hidden 64, input 32 ====================

def rnn(Wh, Wx, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t])
    return np.sum(h * h)


def rnn_hand(Wh, Wx, xs, h0):
    """Backprop through time; the weight gradients are accumulated as two matrix products
    over all steps at the end (instead of one outer product per step)."""
    steps = xs.shape[0]
    hs = np.empty((steps + 1, h0.shape[0]))
    hs[0] = h0
    h = h0
    for t in range(steps):
        h = np.tanh(Wh @ h + Wx @ xs[t])
        hs[t + 1] = h
    zs_bar = np.empty((steps, h0.shape[0]))
    h_bar = 2.0 * h
    WhT = Wh.T
    for t in range(steps - 1, -1, -1):
        h = hs[t + 1]
        z_bar = h_bar * (1.0 - h * h)
        zs_bar[t] = z_bar
        h_bar = WhT @ z_bar
    return zs_bar.T @ hs[:-1], zs_bar.T @ xs


def rnn_hand_per_step(Wh, Wx, xs, h0):
    """Textbook backprop through time: one outer product per step for each weight."""
    h = h0
    hs = [h0]
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t])
        hs.append(h)
    h_bar = 2.0 * h
    Wh_bar = np.zeros_like(Wh)
    Wx_bar = np.zeros_like(Wx)
    for t in range(xs.shape[0] - 1, -1, -1):
        h = hs[t + 1]
        z_bar = h_bar * (1.0 - h * h)
        Wh_bar += np.outer(z_bar, hs[t])
        Wx_bar += np.outer(z_bar, xs[t])
        h_bar = z_bar @ Wh
    return Wh_bar, Wx_bar


def rnn_peer(xp):
    def rnn(Wh, Wx, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = xp.tanh(Wh @ h + Wx @ xs[t])
        return xp.sum(h * h)
    return rnn


# == 4. ode: explicit Euler on a damped oscillator x'' = -k x - c x' ========================

def ode(k, c, x0, v0, dt, steps):
    x = x0
    v = v0
    for i in range(steps):
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    return x


def ode_hand(k, c, x0, v0, dt, steps):
    x = x0
    v = v0
    xs = []
    vs = []
    for i in range(steps):
        xs.append(x)
        vs.append(v)
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    x_bar = 1.0
    v_bar = 0.0
    k_bar = 0.0
    c_bar = 0.0
    for x, v in zip(reversed(xs), reversed(vs)):
        a_bar = dt * v_bar
        k_bar -= a_bar * x
        c_bar -= a_bar * v
        x_bar, v_bar = x_bar - a_bar * k, v_bar + dt * x_bar - a_bar * c
    return k_bar, c_bar


def ode_peer(xp):
    def ode(k, c, x0, v0, dt, steps):
        x = x0
        v = v0
        for i in range(steps):
            a = -k * x - c * v
            x = x + dt * v
            v = v + dt * a
        return x
    return ode


# == 5. control: a bouncing ball (while loop, value-dependent branch) ========================

GRAVITY = 9.81
DT = 0.001
WALL = 4.0


def control(vy, vx):
    x = 0.0
    y = 0.0
    while x < WALL:
        vy = vy - GRAVITY * DT
        x = x + vx * DT
        y = y + vy * DT
        if y < 0.0:
            y = -y
            vy = -0.8 * vy
    return y


def control_hand(vy, vx):
    x = 0.0
    y = 0.0
    bounces = []
    while x < WALL:
        vy = vy - GRAVITY * DT
        x = x + vx * DT
        y = y + vy * DT
        bounced = y < 0.0
        if bounced:
            y = -y
            vy = -0.8 * vy
        bounces.append(bounced)
    y_bar = 1.0
    vy_bar = 0.0
    for bounced in reversed(bounces):
        if bounced:
            vy_bar = -0.8 * vy_bar
            y_bar = -y_bar
        vy_bar += DT * y_bar
    return vy_bar


def control_peer(xp):
    def control(vy, vx):
        x = 0.0
        y = 0.0
        while x < WALL:
            vy = vy - GRAVITY * DT
            x = x + vx * DT
            y = y + vy * DT
            if y < 0.0:
                y = -y
                vy = -0.8 * vy
        return y
    return control


# == the table =================================================================================

@dataclass
class Workload:
    name: str
    description: str
    primal: Callable
    hand: Callable
    make_peer: Callable
    wrt: tuple                       # positions of the differentiated arguments
    sizes: dict                      # "full" / "quick" / "memory" -> callable making the args
    static: tuple = ()               # positions of integer (loop-count) arguments, for jax.jit
    jit_ok: bool = True              # False: Python control flow on traced values
    heavy: bool = False              # fewer timing repetitions
    extra_hand: dict = field(default_factory=dict)


def _mlp_args(batch):
    def make():
        rng = np.random.default_rng(0)
        return (rng.standard_normal((784, 128)) / math.sqrt(784),
                rng.standard_normal((128, 10)) / math.sqrt(128),
                rng.standard_normal((batch, 784)),
                rng.standard_normal((batch, 10)))
    return make


def _rnn_args(steps):
    def make():
        rng = np.random.default_rng(1)
        return (rng.standard_normal((64, 64)) * 0.15,
                rng.standard_normal((64, 32)) * 0.15,
                rng.standard_normal((steps, 32)),
                np.zeros(64))
    return make


WORKLOADS = [
    Workload("scalar_loop", "100 iterations of y = math.sin(y) * 0.9 + 0.1 * x; d/dx",
             scalar_loop, scalar_loop_hand, scalar_loop_peer, wrt=(0,), static=(1,),
             sizes={"full": lambda: (0.5, 100), "quick": lambda: (0.5, 3),
                    "memory": lambda: (0.5, 100_000)}),
    Workload("mlp", "tanh MLP 784->128->10, batch 256, mean squared error; d/dW1, d/dW2",
             mlp, mlp_hand, mlp_peer, wrt=(0, 1), heavy=True,
             sizes={"full": _mlp_args(256), "quick": _mlp_args(4)}),
    Workload("rnn", "50 steps of h = tanh(Wh @ h + Wx @ x_t), hidden 64, input 32, "
             "loss sum(h*h); d/dWh, d/dWx",
             rnn, rnn_hand, rnn_peer, wrt=(0, 1),
             sizes={"full": _rnn_args(50), "quick": _rnn_args(2), "memory": _rnn_args(50)},
             extra_hand={"hand-written (per-step outer)": rnn_hand_per_step}),
    Workload("ode", "1,000 explicit-Euler steps of a damped oscillator; d/dk, d/dc",
             ode, ode_hand, ode_peer, wrt=(0, 1), static=(5,), heavy=True,
             sizes={"full": lambda: (2.0, 0.3, 1.0, 0.0, 0.01, 1000),
                    "quick": lambda: (2.0, 0.3, 1.0, 0.0, 0.01, 3)}),
    Workload("control", "bouncing ball: while x < wall, bounce if y < 0 (~1,334 steps, "
             "one bounce); d/d(initial vy)",
             control, control_hand, control_peer, wrt=(0,), jit_ok=False, heavy=True,
             sizes={"full": lambda: (4.5, 3.0), "quick": lambda: (-0.5, 1500.0)}),
]


# == for the transform benchmark ===============================================================

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
