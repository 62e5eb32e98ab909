"""Gradient rules of the ``math`` module (Python floats in, Python floats out).

Where the derivative is infinite but the function is defined (``sqrt`` at 0, ``asin`` at
+-1, ...) the rules return infinity, as NumPy would, instead of letting Python's float
division raise ``ZeroDivisionError``.
"""

import math

from .registry import adjoint


@adjoint(math.sin)
def sin_adjoint(out_bar, out, x):
    return out_bar * math.cos(x)


@adjoint(math.cos)
def cos_adjoint(out_bar, out, x):
    return -out_bar * math.sin(x)


@adjoint(math.tan)
def tan_adjoint(out_bar, out, x):
    return out_bar * (1.0 + out * out)


@adjoint(math.asin)
def asin_adjoint(out_bar, out, x):
    root = math.sqrt(1.0 - x * x)
    return out_bar / root if root else out_bar * math.inf


@adjoint(math.acos)
def acos_adjoint(out_bar, out, x):
    root = math.sqrt(1.0 - x * x)
    return -out_bar / root if root else -out_bar * math.inf


@adjoint(math.atan)
def atan_adjoint(out_bar, out, x):
    return out_bar / (1.0 + x * x)


@adjoint(math.atan2)
def atan2_adjoint(out_bar, out, y, x):
    denominator = x * x + y * y
    return out_bar * x / denominator, -out_bar * y / denominator


@adjoint(math.sinh)
def sinh_adjoint(out_bar, out, x):
    return out_bar * math.cosh(x)


@adjoint(math.cosh)
def cosh_adjoint(out_bar, out, x):
    return out_bar * math.sinh(x)


@adjoint(math.tanh)
def tanh_adjoint(out_bar, out, x):
    return out_bar * (1.0 - out * out)


@adjoint(math.asinh)
def asinh_adjoint(out_bar, out, x):
    return out_bar / math.sqrt(x * x + 1.0)


@adjoint(math.acosh)
def acosh_adjoint(out_bar, out, x):
    root = math.sqrt(x * x - 1.0)
    return out_bar / root if root else out_bar * math.inf


@adjoint(math.atanh)
def atanh_adjoint(out_bar, out, x):
    return out_bar / (1.0 - x * x)


@adjoint(math.exp)
def exp_adjoint(out_bar, out, x):
    return out_bar * out


@adjoint(math.expm1)
def expm1_adjoint(out_bar, out, x):
    return out_bar * (out + 1.0)


@adjoint(math.log)
def log_adjoint(out_bar, out, x, base=None):
    if base is None:
        return out_bar / x, None
    return out_bar / (x * math.log(base)), -out_bar * out / (base * math.log(base))


@adjoint(math.log1p)
def log1p_adjoint(out_bar, out, x):
    return out_bar / (1.0 + x)


@adjoint(math.log2)
def log2_adjoint(out_bar, out, x):
    return out_bar / (x * math.log(2.0))


@adjoint(math.log10)
def log10_adjoint(out_bar, out, x):
    return out_bar / (x * math.log(10.0))


@adjoint(math.sqrt)
def sqrt_adjoint(out_bar, out, x):
    return out_bar * 0.5 / out if out else out_bar * math.inf


@adjoint(math.pow)
def pow_adjoint(out_bar, out, x, y):
    return (out_bar * y * math.pow(x, y - 1.0),
            out_bar * out * (math.log(x) if x > 0 else 0.0))


@adjoint(math.hypot)
def hypot_adjoint(out_bar, out, x, y):
    # At the origin, a cone's tip, the subgradient 0 (as np.hypot and np.linalg.norm).
    return (out_bar * x / out if out else out_bar * 0.0,
            out_bar * y / out if out else out_bar * 0.0)


@adjoint(math.fabs)
def fabs_adjoint(out_bar, out, x):
    # Convention at the kink x == 0: derivative 0 (as np.sign).
    return out_bar * math.copysign(1.0, x) if x != 0 else 0.0 * out_bar


@adjoint(math.erf)
def erf_adjoint(out_bar, out, x):
    return out_bar * 1.1283791670955126 * math.exp(-x * x)


@adjoint(math.erfc)
def erfc_adjoint(out_bar, out, x):
    return -out_bar * 1.1283791670955126 * math.exp(-x * x)


@adjoint(math.degrees)
def degrees_adjoint(out_bar, out, x):
    return out_bar * (180.0 / math.pi)


@adjoint(math.radians)
def radians_adjoint(out_bar, out, x):
    return out_bar * (math.pi / 180.0)
