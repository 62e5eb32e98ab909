"""Random array programs under many broadcasting shape classes (``chainrule.shapes``).

The fuzz campaign's arrays all have shape (3,) or (3, 3); here each program is called with
argument shapes that broadcast in different ways (leading axes missing, axes of size 1, 0-d
arrays, NumPy scalars), one gradient function for all of them, and every gradient is checked
against finite differences. A shape inferred wrongly for any class shows up as a cotangent
summed wrongly: a wrong value or a wrong shape.
"""

import random

import numpy as np
import pytest

import chainrule
from tests.fuzz import runner

_UNARY = ["np.sin({})", "np.tanh({})", "np.cos({}) * 0.5", "({}) ** 2", "np.exp(np.sin({}))",
          "({}) / (1.0 + ({}) ** 2)", "np.sqrt(1.0 + ({}) ** 2)", "-({})"]
_BINARY = ["({}) + ({})", "({}) - ({})", "({}) * ({})", "np.add({}, {})",
           "np.multiply({}, {})", "np.arctan2({}, 1.5 + ({}) ** 2)"]
_REDUCE = ["np.sum({})", "np.mean({})"]


def _expression(rng: random.Random, names: list, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(names + ["0.7"] * (len(names) // 3))
    if rng.random() < 0.4:
        template = rng.choice(_UNARY)
        inner = _expression(rng, names, depth - 1)
        return template.format(*[inner] * template.count("{}"))
    return rng.choice(_BINARY).format(_expression(rng, names, depth - 1),
                                      _expression(rng, names, depth - 1))


def _program(seed: int) -> str:
    """f(a, b, c, M): broadcasting arithmetic on a, b, c, a loop carrying a value, and a
    matrix product with M."""
    rng = random.Random(seed)
    names = ["a", "b", "c"]
    lines = ["import numpy as np", "", "", "def f(a, b, c, M):"]
    lines.append(f"    u = {_expression(rng, names, 3)}")
    names.append("u")
    if rng.random() < 0.6:
        lines.append("    h = u")
        lines.append("    for i in range(2):")
        lines.append(f"        h = np.tanh(h * {rng.choice(names)} + {rng.choice(names)})")
        names.append("h")
    if rng.random() < 0.6:
        vector = rng.choice(["np.sum(a * u, axis=None) + M[0]", "M[1]", "np.tanh(M[0])"])
        product = rng.choice(["M @ v", "v @ M", "np.matmul(M, v)", "M @ M @ v"])
        lines.append(f"    v = {vector}")
        lines.append(f"    w = np.sin({product})")
        names.append("w")
    total = " + ".join(rng.choice(_REDUCE).format(_expression(rng, names, 2))
                       for _ in range(2))
    lines.append(f"    return {total}")
    return "\n".join(lines) + "\n"


def _shapes(rng: np.random.Generator) -> list:
    """Shapes for a, b, c that broadcast together (to (2, 3), (3,), (2, 1, 3) or ())."""
    full = [(2, 3), (3,), (2, 1, 3), (4, 3), ()][rng.integers(5)]
    shapes = []
    for _ in range(3):
        shape = list(full[rng.integers(len(full) + 1):]) if full else []
        shape = [1 if rng.random() < 0.3 else size for size in shape]
        shapes.append(tuple(shape))
    return shapes


def _argument(rng: np.random.Generator, shape: tuple):
    if shape == () and rng.random() < 0.5:
        return np.float64(rng.uniform(-1, 1) + 0.0031)       # a NumPy scalar, not 0-d
    return rng.uniform(-1, 1, size=shape) + 0.0031


@pytest.mark.parametrize("seed", range(60))
def test_random_program_under_several_shape_classes(seed):
    module = runner.load(_program(seed))
    try:
        gradient = chainrule.grad(module.f, wrt=(0, 1, 2, 3))
        rng = np.random.default_rng(seed)
        M = rng.uniform(-1, 1, size=(3, 3))
        for _ in range(4):
            arguments = [_argument(rng, shape) for shape in _shapes(rng)] + [M]
            try:
                module.f(*arguments)
            except ValueError:                    # M's products need a 3-vector: skip
                continue
            gradients = gradient(*arguments)
            for argument, computed in zip(arguments, gradients):
                assert np.shape(computed) == np.shape(argument)
            chainrule.check_grad(gradient, *arguments, wrt=(0, 1, 2, 3))
    finally:
        runner.forget(module)
