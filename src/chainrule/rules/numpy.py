"""Gradient rules of NumPy functions, and the array methods/attributes that map onto them.

Sections: elementwise unary, elementwise binary (broadcasting), reductions, shape, linear
algebra. Kinks: ``abs``/``sign`` have derivative 0 at 0; ties in ``maximum``/``minimum`` split
the cotangent evenly.
"""

import numpy as np

from ..runtime import (dot_adjoint_lhs, dot_adjoint_rhs, log_of_base, matmul_adjoint_lhs,
                       matmul_adjoint_rhs, unbroadcast)
from .registry import adjoint, array_attribute, array_method

# ----------------------------------------------------------------------------------------------
# Elementwise, one argument

@adjoint(np.sin)
def sin_adjoint(out_bar, out, x):
    return out_bar * np.cos(x)


@adjoint(np.cos)
def cos_adjoint(out_bar, out, x):
    return -out_bar * np.sin(x)


@adjoint(np.tan)
def tan_adjoint(out_bar, out, x):
    return out_bar * (1.0 + out * out)


@adjoint(np.arcsin)
def arcsin_adjoint(out_bar, out, x):
    return out_bar / np.sqrt(1.0 - x * x)


@adjoint(np.arccos)
def arccos_adjoint(out_bar, out, x):
    return -out_bar / np.sqrt(1.0 - x * x)


@adjoint(np.arctan)
def arctan_adjoint(out_bar, out, x):
    return out_bar / (1.0 + x * x)


@adjoint(np.sinh)
def sinh_adjoint(out_bar, out, x):
    return out_bar * np.cosh(x)


@adjoint(np.cosh)
def cosh_adjoint(out_bar, out, x):
    return out_bar * np.sinh(x)


@adjoint(np.tanh)
def tanh_adjoint(out_bar, out, x):
    return out_bar * (1.0 - out * out)


@adjoint(np.exp)
def exp_adjoint(out_bar, out, x):
    return out_bar * out


@adjoint(np.expm1)
def expm1_adjoint(out_bar, out, x):
    return out_bar * (out + 1.0)


@adjoint(np.log)
def log_adjoint(out_bar, out, x):
    return out_bar / x


@adjoint(np.log1p)
def log1p_adjoint(out_bar, out, x):
    return out_bar / (1.0 + x)


@adjoint(np.sqrt)
def sqrt_adjoint(out_bar, out, x):
    return out_bar * 0.5 / out


@adjoint(np.square)
def square_adjoint(out_bar, out, x):
    return out_bar * 2.0 * x


@adjoint(np.abs)
def abs_adjoint(out_bar, out, x):
    return out_bar * np.sign(x)


@adjoint(np.negative)
def negative_adjoint(out_bar, out, x):
    return -out_bar


# ----------------------------------------------------------------------------------------------
# Elementwise, two arguments (broadcasting)

@adjoint(np.add)
def add_adjoint(out_bar, out, x1, x2):
    return unbroadcast(out_bar, x1), unbroadcast(out_bar, x2)


@adjoint(np.subtract)
def subtract_adjoint(out_bar, out, x1, x2):
    return unbroadcast(out_bar, x1), unbroadcast(-out_bar, x2)


@adjoint(np.multiply)
def multiply_adjoint(out_bar, out, x1, x2):
    return unbroadcast(out_bar * x2, x1), unbroadcast(out_bar * x1, x2)


@adjoint(np.divide)
def divide_adjoint(out_bar, out, x1, x2):
    return unbroadcast(out_bar / x2, x1), unbroadcast(-out_bar * out / x2, x2)


@adjoint(np.power)
def power_adjoint(out_bar, out, x1, x2):
    return (unbroadcast(out_bar * x2 * x1 ** (x2 - 1), x1),
            unbroadcast(out_bar * out * log_of_base(x1), x2))


@adjoint(np.maximum)
def maximum_adjoint(out_bar, out, x1, x2):
    share = (x1 > x2) + 0.5 * (x1 == x2)
    return unbroadcast(out_bar * share, x1), unbroadcast(out_bar * (1.0 - share), x2)


@adjoint(np.minimum)
def minimum_adjoint(out_bar, out, x1, x2):
    share = (x1 < x2) + 0.5 * (x1 == x2)
    return unbroadcast(out_bar * share, x1), unbroadcast(out_bar * (1.0 - share), x2)


# ----------------------------------------------------------------------------------------------
# Reductions

@adjoint(np.sum)
def sum_adjoint(out_bar, out, a, axis=None, keepdims=False):
    if axis is None or keepdims:
        return np.broadcast_to(out_bar, np.shape(a))
    return np.broadcast_to(np.expand_dims(out_bar, axis), np.shape(a))


@adjoint(np.mean)
def mean_adjoint(out_bar, out, a, axis=None, keepdims=False):
    count = np.size(a) / np.size(out)
    if axis is None or keepdims:
        return np.broadcast_to(out_bar / count, np.shape(a))
    return np.broadcast_to(np.expand_dims(out_bar / count, axis), np.shape(a))


# ----------------------------------------------------------------------------------------------
# Shape

@adjoint(np.reshape)
def reshape_adjoint(out_bar, out, a, shape):
    return np.reshape(out_bar, np.shape(a))


@adjoint(np.transpose)
def transpose_adjoint(out_bar, out, a, axes=None):
    if axes is None:
        return np.transpose(out_bar)
    return np.transpose(out_bar, np.argsort(axes))


# ----------------------------------------------------------------------------------------------
# Linear algebra

@adjoint(np.matmul)
def matmul_adjoint(out_bar, out, x1, x2):
    return matmul_adjoint_lhs(out_bar, x1, x2), matmul_adjoint_rhs(out_bar, x1, x2)


@adjoint(np.dot)
def dot_adjoint(out_bar, out, a, b):
    return dot_adjoint_lhs(out_bar, a, b), dot_adjoint_rhs(out_bar, a, b)


# ----------------------------------------------------------------------------------------------
# Array methods and attributes, differentiated like the NumPy function of the same name

for _name in ("sum", "mean", "dot", "transpose"):
    array_method(_name, getattr(np, _name))
array_attribute("T", np.transpose)
