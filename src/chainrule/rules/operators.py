"""Gradient rules of Python's operators (``+ - * / ** @``, unary ``-``/``+``).

The transformer maps each operator in the user's code to the matching function of the
``operator`` module and looks its rule up here. Operands may be arrays that broadcast, so each
cotangent goes through ``unbroadcast``; the transformer drops that call when both operands are
known to be Python scalars.
"""

import operator


from ..runtime import (log_of_base, matmul_adjoint_lhs, matmul_adjoint_rhs,
                       power_cotangent, unbroadcast)
from .registry import adjoint


@adjoint(operator.add)
def add_adjoint(out_bar, out, a, b):
    return unbroadcast(out_bar, a), unbroadcast(out_bar, b)


@adjoint(operator.sub)
def sub_adjoint(out_bar, out, a, b):
    return unbroadcast(out_bar, a), unbroadcast(-out_bar, b)


@adjoint(operator.mul)
def mul_adjoint(out_bar, out, a, b):
    return unbroadcast(out_bar * b, a), unbroadcast(out_bar * a, b)


@adjoint(operator.truediv)
def truediv_adjoint(out_bar, out, a, b):
    return unbroadcast(out_bar / b, a), unbroadcast(-out_bar * out / b, b)


@adjoint(operator.pow)
def pow_adjoint(out_bar, out, a, b):
    return (unbroadcast(power_cotangent(out_bar, a, b), a),
            unbroadcast(out_bar * out * log_of_base(a), b))


@adjoint(operator.mod)
def mod_adjoint(out_bar, out, a, b):
    # a % b == a - b * floor(a / b): piecewise linear, with jumps where a / b is an integer.
    return unbroadcast(out_bar, a), unbroadcast(-out_bar * (a // b), b)


@adjoint(operator.matmul)
def matmul_adjoint(out_bar, out, a, b):
    return matmul_adjoint_lhs(out_bar, a, b), matmul_adjoint_rhs(out_bar, a, b)


@adjoint(operator.neg)
def neg_adjoint(out_bar, out, a):
    return -out_bar


@adjoint(operator.pos)
def pos_adjoint(out_bar, out, a):
    return out_bar


