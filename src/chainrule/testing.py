"""Numerical gradient checking, for users and for chainrule's own tests.

``check_grad`` compares chainrule's gradient with central finite differences: element by element
for small inputs, and along random directions (a projection ``<gradient, v>``) for large arrays,
where one check per direction costs two function calls instead of two per element.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .api import GradientFunction, Wrt, grad


class GradientCheckError(AssertionError):
    """Raised by :func:`check_grad` when the gradient disagrees with finite differences."""


def _as_float64(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.astype(np.float64)
    if isinstance(value, (bool, int, float, np.generic)):
        return float(value)
    return value


def _scalar_output(f: Callable, args: list, position: int, value: Any) -> float:
    args = list(args)
    args[position] = value
    return float(f(*args))


def _numerical_directional(f, args, position, direction, eps) -> float:
    x = args[position]
    plus, minus = x + eps * direction, x - eps * direction
    if isinstance(x, np.ndarray):          # keep 0-d arrays arrays (NumPy returns scalars)
        plus, minus = np.asarray(plus).reshape(x.shape), np.asarray(minus).reshape(x.shape)
    plus = _scalar_output(f, args, position, plus)
    minus = _scalar_output(f, args, position, minus)
    return (plus - minus) / (2.0 * eps)


def check_grad(f: Callable, *args: Any, wrt: Wrt = 0, eps: float = 1e-6, rtol: float = 1e-5,
               atol: float = 1e-6, directions: int = 4, max_elementwise: int = 64,
               seed: int = 0) -> float:
    """Check chainrule's gradient of ``f`` at ``args`` against central finite differences.

    Returns the largest error found, scaled as ``|analytic - numeric| / (atol + rtol *
    |numeric|)`` (so a value above 1 means failure), and raises :class:`GradientCheckError`
    with a readable report when any element (or random projection) disagrees. Arrays with more
    than ``max_elementwise`` elements are checked along ``directions`` random directions.
    Inputs are never modified.
    """
    primal = f.primal if isinstance(f, GradientFunction) else f
    gradient_function = grad(primal, wrt=wrt)
    leading = len(gradient_function._target.leading)
    positions = [p - leading for p in gradient_function._wrt_positions]
    analytic = gradient_function(*args)
    if gradient_function._single:
        analytic = (analytic,)
    base = [_as_float64(a) if position in positions else a
            for position, a in enumerate(args)]
    rng = np.random.default_rng(seed)
    worst = 0.0
    failures = []
    for position, gradient in zip(positions, analytic):
        label = gradient_function._parameters[position + leading]
        x = base[position]
        gradient = np.asarray(gradient, dtype=np.float64)
        if np.shape(gradient) != np.shape(x):
            failures.append(f"  {label}: gradient has shape {np.shape(gradient)}, "
                            f"argument has shape {np.shape(x)}")
            continue
        checks = []
        if np.size(x) <= max_elementwise:
            for index in np.ndindex(*np.shape(x)):
                direction = np.zeros(np.shape(x))
                direction[index] = 1.0
                direction = direction if np.ndim(x) else 1.0
                numeric = _numerical_directional(primal, base, position, direction, eps)
                checks.append((f"{label}[{', '.join(map(str, index))}]" if index else label,
                               float(gradient[index]), numeric))
        else:
            for k in range(directions):
                direction = rng.standard_normal(np.shape(x))
                numeric = _numerical_directional(primal, base, position, direction, eps)
                checks.append((f"{label} along random direction {k}",
                               float(np.sum(gradient * direction)), numeric))
        for where, got, expected in checks:
            error = abs(got - expected) / (atol + rtol * abs(expected))
            if not np.isfinite(got) or not np.isfinite(expected):
                error = 0.0 if (np.isnan(got) and np.isnan(expected)) or got == expected \
                    else np.inf
            worst = max(worst, error)
            if error > 1.0:
                failures.append(f"  {where}: chainrule {got!r}, finite differences "
                                f"{expected!r}")
    if failures:
        name = getattr(primal, "__qualname__", repr(primal))
        raise GradientCheckError(
            f"gradient of {name} disagrees with central finite differences "
            f"(eps={eps}, rtol={rtol}, atol={atol}):\n" + "\n".join(failures[:20])
            + (f"\n  ... and {len(failures) - 20} more" if len(failures) > 20 else ""))
    return worst
