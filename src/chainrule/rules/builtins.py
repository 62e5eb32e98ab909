"""Gradient rules of Python builtins: ``abs pow float min max sum``.

Kinks follow one convention everywhere: ``abs`` has derivative 0 at 0, and a tie in ``min`` or
``max`` splits the cotangent evenly between the tied arguments. ``min``/``max`` with more than
two arguments are rewritten as nested two-argument calls before differentiation; with one
iterable argument they use the rules of ``runtime.max_of``/``min_of``.

``list``/``tuple`` of a list, tuple or array (its rows) and ``dict`` of a dict or of a list
of pairs are copies: their cotangent goes back item by item.
"""

from ..runtime import (dict_backward, log_of_base, max_of, min_of, power_cotangent,
                       sequence_backward, sign_of, spread_over, to_ties, unbroadcast)
from .registry import adjoint


@adjoint(abs)
def abs_adjoint(out_bar, out, x):
    return out_bar * sign_of(x)


@adjoint(pow)
def pow_adjoint(out_bar, out, base, exp):
    return (unbroadcast(power_cotangent(out_bar, base, exp), base),
            unbroadcast(out_bar * out * log_of_base(base), exp))


@adjoint(float)
def float_adjoint(out_bar, out, x):
    return out_bar


@adjoint(max)
def max_adjoint(out_bar, out, a, b):
    share_a = (a > b) + 0.5 * (a == b)
    return unbroadcast(out_bar * share_a, a), unbroadcast(out_bar * (1.0 - share_a), b)


@adjoint(min)
def min_adjoint(out_bar, out, a, b):
    share_a = (a < b) + 0.5 * (a == b)
    return unbroadcast(out_bar * share_a, a), unbroadcast(out_bar * (1.0 - share_a), b)


@adjoint(sum)
def sum_adjoint(out_bar, out, iterable, start=0):
    return spread_over(out_bar, iterable), unbroadcast(out_bar, start)


@adjoint(max_of)
def max_of_adjoint(out_bar, out, items):
    return to_ties(out_bar, out, items)


@adjoint(min_of)
def min_of_adjoint(out_bar, out, items):
    return to_ties(out_bar, out, items)


@adjoint(list)
@adjoint(tuple)
def sequence_adjoint(out_bar, out, iterable=()):
    return sequence_backward(out_bar, iterable)


@adjoint(dict)
def dict_adjoint(out_bar, out, iterable=()):
    return dict_backward(out_bar, iterable)
