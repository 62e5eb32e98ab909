"""Sample calls for every built-in gradient rule, checked by ``test_rules_numpy.py``.

``SAMPLES`` maps each primal callable to a list of :class:`Sample` calls: scalars, vectors,
matrices and broadcasting pairs where they make sense, with inputs inside the domain and away
from kinks (ties, zeros of ``abs``, clip boundaries). The test calls each rule directly and
compares it with central finite differences of the primal. Every rule registered by
``chainrule.rules`` must have at least one sample here (a completeness test enforces it).
"""

import inspect
import math
import operator

import numpy as np

from chainrule import runtime

import chainrule.rules  # noqa: F401  (registers the rules)
from chainrule.rules.registry import method_function

_rng = np.random.default_rng(20240601)
NUMPY2 = int(np.__version__.split(".")[0]) >= 2


class Sample:
    """One call ``primal(*args, **kwargs)``; ``symmetric`` names parameters whose perturbations
    must stay symmetric matrices (functions that read one triangle of a symmetric input)."""

    def __init__(self, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs
        self.symmetric = ()

    def sym(self, *parameters):
        self.symmetric = parameters
        return self

    def __repr__(self):
        def short(value):
            if isinstance(value, np.ndarray):
                return f"array{value.shape}"
            if isinstance(value, (list, tuple)):
                inner = ", ".join(short(v) for v in value)
                return f"[{inner}]" if isinstance(value, list) else f"({inner})"
            return repr(value)
        parts = [short(a) for a in self.args] + [f"{k}={short(v)}" for k, v in self.kwargs.items()]
        return f"({', '.join(parts)})"


S = Sample


def U(*shape, low=-1.0, high=1.0):
    """Uniform values; no shape gives a Python float."""
    if not shape:
        return float(_rng.uniform(low, high))
    return _rng.uniform(low, high, size=shape)


def away(*shape, low=0.2, high=1.0):
    """Values of random sign with magnitude in [low, high] (away from the kink at 0)."""
    magnitude = U(*shape, low=low, high=high)
    sign = _rng.choice([-1.0, 1.0], size=shape) if shape else float(_rng.choice([-1.0, 1.0]))
    return magnitude * sign


def spd(n, batch=()):
    """A well-conditioned symmetric positive definite matrix (or a stack of them)."""
    r = U(*batch, n, n)
    return np.matmul(r, np.swapaxes(r, -1, -2)) + n * np.eye(n)


def sym_distinct(n, batch=()):
    """A symmetric matrix with well separated eigenvalues."""
    q, _ = np.linalg.qr(U(*batch, n, n))
    values = np.arange(1, n + 1) * 1.5 + U(*batch, n, low=-0.2, high=0.2)
    return np.matmul(q * values[..., None, :], np.swapaxes(q, -1, -2))


def invertible(n, batch=()):
    return U(*batch, n, n) + n * np.eye(n)


def with_nans(*shape):
    x = U(*shape)
    x.flat[::3] = np.nan
    return x


def with_zeros(*shape, every=4):
    x = U(*shape, low=0.5, high=1.5)
    x.flat[1::every] = 0.0
    return x


def unary(low=-1.0, high=1.0, values=None):
    make = values or (lambda *shape: U(*shape, low=low, high=high))
    return [S(make()), S(make(4)), S(make(2, 3)), S(make(2, 1, 3))]


def binary(low=-1.0, high=1.0, low2=None, high2=None, values=None, values2=None):
    first = values or (lambda *shape: U(*shape, low=low, high=high))
    low2 = low if low2 is None else low2
    high2 = high if high2 is None else high2
    second = values2 or (lambda *shape: U(*shape, low=low2, high=high2))
    return [S(first(), second()), S(first(4), second(4)), S(first(2, 3), second(3)),
            S(first(2, 1), second(1, 3)), S(first(), second(2, 3)), S(first(3), second())]


def reduction(values=U, extra=None):
    samples = [S(values(5)), S(values(3, 4)), S(values(3, 4), axis=0), S(values(3, 4), axis=-1),
               S(values(3, 4), axis=1, keepdims=True), S(values(3, 4), keepdims=True),
               S(values(2, 3, 4), axis=(0, 2))]
    return samples + (extra or [])


def cond(*shape):
    return _rng.random(shape) > 0.5


SAMPLES = {}

# ----------------------------------------------------------------------------------------------
# NumPy: elementwise, one argument

for _f in (np.sin, np.cos, np.arctan, np.sinh, np.cosh, np.tanh, np.arcsinh, np.exp, np.exp2,
           np.expm1, np.square, np.negative, np.positive, np.deg2rad, np.radians, np.rad2deg,
           np.degrees, np.sinc):
    SAMPLES[_f] = unary(-2.0, 2.0)
SAMPLES[np.tan] = unary(-1.2, 1.2)
for _f in (np.arcsin, np.arccos, np.arctanh):
    SAMPLES[_f] = unary(-0.9, 0.9)
SAMPLES[np.arccosh] = unary(1.2, 3.0)
for _f in (np.log, np.log2, np.log10, np.sqrt):
    SAMPLES[_f] = unary(0.3, 3.0)
SAMPLES[np.log1p] = unary(-0.5, 3.0)
for _f in (np.cbrt, np.reciprocal, np.abs, np.fabs):
    SAMPLES[_f] = unary(values=away)

# ----------------------------------------------------------------------------------------------
# NumPy: elementwise, two arguments

for _f in (np.add, np.subtract, np.multiply, np.arctan2, np.hypot, np.logaddexp, np.logaddexp2,
           np.maximum, np.minimum, np.fmax, np.fmin):
    SAMPLES[_f] = binary(-2.0, 2.0)
SAMPLES[np.divide] = binary(-2.0, 2.0, values2=away)
SAMPLES[np.fmax] += [S(np.array([1.0, np.nan, 0.3]), np.array([0.5, 0.2, np.nan]))]
SAMPLES[np.fmin] += [S(np.array([1.0, np.nan, 0.3]), np.array([0.5, 0.2, np.nan]))]
SAMPLES[np.power] = binary(0.5, 2.0, -1.5, 1.5) + [S(away(3, low=0.5, high=2.0), 3),
                                                   S(U(2, 3, low=0.5, high=2.0), 2.0)]
SAMPLES[np.float_power] = binary(0.5, 2.0, -1.5, 1.5) + [S(away(3, low=0.5, high=2.0), 2)]
SAMPLES[np.copysign] = binary(values=away, values2=away)
SAMPLES[np.mod] = binary(-3.0, 3.0, values2=away)
SAMPLES[np.fmod] = binary(-3.0, 3.0, values2=away)
SAMPLES[np.ldexp] = [S(U(3), np.array([1, 2, -1])), S(1.5, 3), S(U(2, 3), np.array([0, 1, 2]))]

# ----------------------------------------------------------------------------------------------
# NumPy: selection

SAMPLES[np.where] = [S(cond(2, 3), U(2, 3), U(2, 3)), S(cond(3), U(3), 0.5),
                     S(cond(2, 3), U(3), U(2, 1)), S(cond(2, 1), 1.5, U(3))]
SAMPLES[np.clip] = [S(U(6, low=-2.0, high=2.0), -1.0, 1.0),
                    S(U(3, 4), U(4, low=-0.8, high=-0.2), 0.5),
                    S(U(5), None, 0.3), S(U(5), -0.3, None), S(U(5), a_min=-0.1, a_max=0.4),
                    S(U(2, 3), U(2, 1, low=-0.5, high=-0.2), U(3, low=0.2, high=0.5)),
                    S(1.5, 0.0, 1.0)]

SAMPLES[np.select] = [S([cond(4), cond(4)], [U(4), U(4)]),
                     S([cond(2, 3), cond(2, 3)], [U(2, 3), U(3)], U(2, 3)),
                     S([cond(3)], [1.5], 0.5), S([cond(2, 3), cond(3)], [U(2, 1), U(2, 3)], U())]
_inf = np.array([1.0, np.nan, np.inf, -np.inf, -0.5, np.nan])
SAMPLES[np.nan_to_num] = [S(U(4)), S(_inf), S(_inf, nan=0.5, posinf=2.0, neginf=-2.0),
                          S(_inf.reshape(2, 3), True, 1.5), S(1.5), S(_inf, posinf=3.0)]

# ----------------------------------------------------------------------------------------------
# NumPy: real and imaginary parts (of real input)

for _f in (np.real, np.conjugate, np.imag):
    SAMPLES[_f] = [S(U(3)), S(U(2, 3)), S(1.5)]

# ----------------------------------------------------------------------------------------------
# NumPy: reductions

SAMPLES[np.sum] = reduction(extra=[S(2.5)])
SAMPLES[np.mean] = reduction()
SAMPLES[np.nansum] = reduction(with_nans)
SAMPLES[np.nanmean] = reduction(with_nans)[1:]     # a 5-vector with NaNs every 3rd: fine too
SAMPLES[np.median] = reduction() + [S(U(4)), S(U(3, 5), axis=1)]
SAMPLES[np.prod] = reduction(lambda *shape: U(*shape, low=0.5, high=1.5)) + [
    S(with_zeros(5)), S(with_zeros(6, every=2)), S(with_zeros(3, 4), axis=0),
    S(with_zeros(3, 4), axis=1, keepdims=True), S(with_zeros(2, 3, 4), axis=(0, 2))]
for _f in (np.max, np.amax, np.min, np.amin, np.ptp):
    SAMPLES[_f] = reduction() + [S(1.5)]
SAMPLES[np.nanmax] = reduction(with_nans)[1:]
SAMPLES[np.nanmin] = reduction(with_nans)[1:]
SAMPLES[np.var] = reduction() + [S(U(3, 4), axis=1, ddof=1), S(U(6), ddof=2)]
SAMPLES[np.std] = reduction() + [S(U(3, 4), axis=1, ddof=1), S(U(6), ddof=2)]
SAMPLES[np.cumsum] = [S(U(5)), S(U(3, 4)), S(U(3, 4), axis=0), S(U(3, 4), axis=-1),
                      S(U(2, 3, 4), 1), S(2.0)]
SAMPLES[np.cumprod] = [S(U(5)), S(U(3, 4)), S(U(3, 4), axis=0), S(U(3, 4), axis=-1),
                       S(with_zeros(6, every=3)), S(with_zeros(6, every=2)),
                       S(with_zeros(4, 5), axis=1), S(with_zeros(4, 3), axis=0)]
if hasattr(np, "cumulative_sum"):
    SAMPLES[np.cumulative_sum] = [S(U(5)), S(U(3, 4), axis=1), S(U(3, 4), axis=0),
                                  S(U(3, 4), axis=0, include_initial=True),
                                  S(U(4), include_initial=True)]
    SAMPLES[np.cumulative_prod] = [S(U(5)), S(U(3, 4), axis=1),
                                   S(U(3, 4), axis=1, include_initial=True),
                                   S(with_zeros(6, every=2), include_initial=True)]
SAMPLES[np.average] = [
    S(U(5)), S(U(3, 4), axis=1), S(U(5), weights=U(5, low=0.5, high=1.0)),
    S(U(3, 4), axis=1, weights=U(4, low=0.5, high=1.0)),
    S(U(3, 4), 0, U(3, low=0.5, high=1.0), True),
    S(U(3, 4), weights=U(3, 4, low=0.5, high=1.0)),
    S(U(3, 4), axis=-1, weights=U(4, low=0.5, high=1.0), keepdims=True),
    S(U(3, 4), axis=1, returned=True),
    S(U(2, 3, 4), axis=(0, 2), weights=U(2, 3, 4, low=0.5, high=1.0), returned=True)]
SAMPLES[np.linalg.norm] = [
    S(U(5)), S(U(3, 4)), S(U(2, 3, 4)), S(U(5), 1), S(U(5), 2), S(U(5), np.inf),
    S(U(5), -np.inf), S(U(5), 3), S(U(5), -2), S(U(5), 0), S(U(3, 4), axis=1),
    S(U(3, 4), 1, 0), S(U(3, 4), np.inf, 1, True), S(U(3, 4), "fro"), S(U(3, 4), 1),
    S(U(3, 4), -1), S(U(3, 4), np.inf), S(U(3, 4), -np.inf), S(U(3, 4), 2), S(U(3, 4), -2),
    S(U(3, 4), "nuc"), S(U(2, 3, 4), 2, (1, 2)), S(U(2, 3, 4), "fro", (0, 2), True),
    S(U(2, 3, 4), 1, (2, 0)), S(U(3, 4), None, (1, 0)), S(U(2, 3, 4), None, -1, True)]

# ----------------------------------------------------------------------------------------------
# NumPy: shape and joining

SAMPLES[np.reshape] = [S(U(6), (2, 3)), S(U(2, 3), (3, -1)), S(U(2, 3), (6,), order="F"),
                       S(2.0, (1, 1))]
SAMPLES[np.reshape].append(S(U(2, 3), shape=(3, 2)) if NUMPY2 else S(U(2, 3), newshape=(3, 2)))
SAMPLES[np.ravel] = [S(U(2, 3)), S(U(2, 3), order="F"), S(2.0), S(U(2, 3, 2))]
SAMPLES[np.transpose] = [S(U(2, 3)), S(U(2, 3, 4)), S(U(2, 3, 4), (1, 2, 0)),
                         S(U(2, 3, 4), (-1, 0, 1)), S(U(3))]
SAMPLES[np.swapaxes] = [S(U(2, 3), 0, 1), S(U(2, 3, 4), 0, -1)]
SAMPLES[np.moveaxis] = [S(U(2, 3, 4), 0, -1), S(U(2, 3, 4), [0, 1], [2, 0])]
SAMPLES[np.expand_dims] = [S(U(3), 0), S(U(2, 3), (0, 3)), S(2.0, 0)]
SAMPLES[np.squeeze] = [S(U(1, 3, 1)), S(U(1, 3, 1), axis=0), S(U(2, 1), 1)]
SAMPLES[np.atleast_1d] = [S(1.5), S(U(3))]
SAMPLES[np.atleast_2d] = [S(1.5), S(U(3)), S(U(2, 3))]
SAMPLES[np.atleast_3d] = [S(1.5), S(U(3)), S(U(2, 3))]
SAMPLES[np.broadcast_to] = [S(U(3), (2, 3)), S(U(2, 1), (2, 4)), S(1.5, (3,)),
                            S(U(1, 3), (2, 2, 3))]
SAMPLES[np.tile] = [S(U(3), 2), S(U(2, 3), (2, 1)), S(U(3), (2, 2)), S(U(2, 3), 2), S(2.5, 3)]
SAMPLES[np.repeat] = [S(U(3), 2), S(U(3), [1, 0, 2]), S(U(2, 3), 2, axis=1),
                      S(U(2, 3), [2, 1], axis=0), S(U(2, 3), 3)]
SAMPLES[np.concatenate] = [S([U(2), U(3)]), S([U(2, 3), U(1, 3)], axis=0),
                           S([U(2, 3), U(2, 2)], axis=1), S([U(2, 3), U(4)], axis=None),
                           S((U(2), U(2), U(1)))]
SAMPLES[np.stack] = [S([U(3), U(3)]), S([U(2, 3), U(2, 3), U(2, 3)], axis=1),
                     S([U(2), U(2)], axis=-1), S([1.5, 2.5])]
SAMPLES[np.hstack] = [S([U(2), U(3)]), S([U(2, 3), U(2, 1)]), S([1.0, U(2)])]
SAMPLES[np.vstack] = [S([U(3), U(3)]), S([U(2, 3), U(1, 3)]), S([U(3), U(2, 3)])]
if getattr(np, "row_stack", None) is not None and np.row_stack is not np.vstack:
    SAMPLES[np.row_stack] = [S([U(3), U(3)]), S([U(2, 3), U(1, 3)])]
SAMPLES[np.dstack] = [S([U(2, 3), U(2, 3)]), S([U(3), U(3)]), S([U(2, 2, 1), U(2, 2, 2)])]
SAMPLES[np.column_stack] = [S([U(3), U(3, 2)]), S([U(3), U(3)])]
SAMPLES[np.append] = [S(U(3), U(2)), S(U(2, 3), U(1, 3), axis=0), S(U(2, 3), U(2, 2)),
                      S(U(3), 1.5), S(U(2, 3), U(2, 1), 1)]
SAMPLES[np.split] = [S(U(6), 3), S(U(6), [1, 4]), S(U(4, 6), 2, axis=1), S(U(4, 3), [1], axis=0)]
SAMPLES[np.array_split] = [S(U(7), 3), S(U(4, 5), 2, axis=1)]
SAMPLES[np.hsplit] = [S(U(4, 6), 2), S(U(6), 3)]
SAMPLES[np.vsplit] = [S(U(4, 3), 2), S(U(4, 3), [1, 3])]
SAMPLES[np.dsplit] = [S(U(2, 2, 4), 2)]
SAMPLES[np.flip] = [S(U(4)), S(U(3, 4), 0), S(U(3, 4)), S(U(2, 3, 4), (0, 2))]
SAMPLES[np.fliplr] = [S(U(3, 4)), S(U(2, 3, 4))]
SAMPLES[np.flipud] = [S(U(3, 4)), S(U(4))]
SAMPLES[np.roll] = [S(U(5), 2), S(U(3, 4), 1, axis=1), S(U(3, 4), (1, -2), axis=(0, 1)),
                    S(U(3, 4), 5)]
SAMPLES[np.rot90] = [S(U(3, 4)), S(U(3, 4), 2), S(U(3, 4), -1), S(U(2, 3, 4), 1, (1, 2))]
SAMPLES[np.diff] = [S(U(5)), S(U(3, 4)), S(U(3, 5), n=2), S(U(4, 3), axis=0), S(U(6), 3)]
SAMPLES[np.sort] = [S(U(5)), S(U(3, 4)), S(U(3, 4), axis=0), S(U(3, 4), axis=None)]
SAMPLES[np.partition] = [S(U(6), 2), S(U(3, 5), 1), S(U(3, 5), [0, 3], axis=1),
                        S(U(4, 3), 2, axis=0), S(U(2, 3), 4, axis=None)]
SAMPLES[np.rollaxis] = [S(U(2, 3, 4), 2), S(U(2, 3, 4), 0, 3), S(U(2, 3, 4), -1, 1),
                        S(U(2, 3, 4, 5), 1, -1), S(U(2, 3), 1)]
SAMPLES[np.gradient] = [S(U(5)), S(U(5), 0.5), S(U(6), 2.0, edge_order=2), S(U(3, 4)),
                        S(U(3, 4), 0.5, 2.0), S(U(3, 4), 0.5), S(U(3, 4), axis=1),
                        S(U(3, 4, 5), 1.5, axis=(0, 2), edge_order=2), S(U(3, 4), axis=-2)]
SAMPLES[np.delete] = [S(U(5), 1), S(U(5), [0, 3]), S(U(3, 4), 1, axis=1),
                      S(U(3, 4), [0, 2], axis=0), S(U(3, 4), [2, 5])]
SAMPLES[np.pad] = [S(U(3), 2), S(U(2, 3), ((1, 2), (0, 1))), S(U(2, 3), 1, mode="edge"),
                   S(U(4), (1, 2), mode="reflect"), S(U(2, 4), 2, mode="symmetric"),
                   S(U(2, 3), (1, 2), mode="wrap"), S(U(4), (1, 2), constant_values=0.5),
                   S(U(2, 3), 1, constant_values=(0.3, 0.7)),
                   S(U(2, 3), ((1, 0), (2, 1)), "constant",
                     constant_values=((0.1, 0.2), (0.3, 0.4)))]

# ----------------------------------------------------------------------------------------------
# NumPy: indexing helpers

SAMPLES[np.take] = [S(U(5), [0, 2, 2, 4]), S(U(3, 4), [1, 1, 0], axis=1),
                    S(U(3, 4), np.array([[0, 5], [5, 11]])), S(U(4), [-1, 5], mode="wrap"),
                    S(U(4), 2), S(U(3, 4), 2, axis=0)]
SAMPLES[np.take_along_axis] = [S(U(3, 4), np.array([[0, 0], [1, 3], [2, 2]]), axis=1),
                               S(U(3, 4), np.array([[0, 1, 2, 0]]), axis=0),
                               S(U(5), np.array([4, 4, 0]), 0)]
SAMPLES[np.diagonal] = [S(U(3, 4)), S(U(3, 4), 1), S(U(2, 3, 4), 0, 1, 2), S(U(4, 3), -1)]
SAMPLES[np.trace] = [S(U(3, 3)), S(U(3, 4), 1), S(U(2, 3, 3), 0, 1, 2), S(U(3, 3, 2))]
SAMPLES[np.diag] = [S(U(3)), S(U(3), 1), S(U(3, 4)), S(U(3, 4), -1), S(U(3, 3), 2)]
SAMPLES[np.triu] = [S(U(3, 3)), S(U(3, 4), 1), S(U(2, 3, 3), -1)]
SAMPLES[np.tril] = [S(U(3, 3)), S(U(3, 4), 1), S(U(2, 3, 3), -1)]

# ----------------------------------------------------------------------------------------------
# NumPy: linear algebra

SAMPLES[np.matmul] = [S(U(3), U(3)), S(U(2, 3), U(3)), S(U(3), U(3, 2)), S(U(2, 3), U(3, 4)),
                      S(U(2, 2, 3), U(3, 4)), S(U(3), U(2, 3, 4)), S(U(2, 1, 3, 4), U(3, 4, 2)),
                      S(U(2, 3, 4), U(4))]
SAMPLES[np.dot] = [S(U(3), U(3)), S(U(2, 3), U(3)), S(U(3), U(3, 2)), S(U(2, 3), U(3, 4)),
                   S(U(2, 2, 3), U(3, 4)), S(U(2, 3), U(2, 3, 4)), S(U(2, 3, 2), U(4, 2, 3)),
                   S(2.0, U(2, 3)), S(U(3), 1.5)]
SAMPLES[np.inner] = [S(U(3), U(3)), S(U(2, 3), U(3)), S(U(2, 3), U(4, 3)), S(2.0, U(3)),
                     S(U(2, 3, 4), U(5, 4))]
SAMPLES[np.outer] = [S(U(3), U(4)), S(U(2, 2), U(3)), S(1.5, U(2))]
SAMPLES[np.vdot] = [S(U(3), U(3)), S(U(2, 3), U(3, 2))]
SAMPLES[np.tensordot] = [S(U(2, 3), U(2, 3)), S(U(2, 3, 4), U(3, 4, 5)),
                         S(U(2, 3), U(3, 4), 1), S(U(2, 3, 4), U(4, 3), ([1, 2], [1, 0])),
                         S(U(2, 3), U(4, 3), axes=([1], [1])), S(U(2), U(3), 0),
                         S(U(3, 2, 4), U(4, 3), axes=([-1, 0], [0, -1]))]
SAMPLES[np.einsum] = [
    S("ij,jk->ik", U(2, 3), U(3, 4)), S("ij,jk", U(2, 3), U(3, 4)), S("ii->i", U(3, 3)),
    S("ii", U(3, 3)), S("i,i", U(3), U(3)), S("ij->", U(2, 3)), S("ij->i", U(2, 3)),
    S("ij,ij->ij", U(2, 3), U(2, 3)), S("bij,bjk->bik", U(2, 2, 3), U(2, 3, 2)),
    S("...ij,...jk->...ik", U(2, 3, 4), U(4, 5)), S("ij,jk,kl->il", U(2, 3), U(3, 4), U(4, 2)),
    S("i,j->ij", U(2), U(3)), S("ijk->kji", U(2, 3, 4)), S("ij,j->i", U(2, 3), U(1)),
    S("i,i,i,i->", U(3), U(3), U(3), U(3)), S("ij,k->ijk", U(2, 3), U(2)),
    S("i j , j ->i", U(2, 3), U(3)), S("iij->j", U(3, 3, 2)), S("...i,...i", U(2, 3), U(3)),
    S("ij,jk->ik", U(2, 3), U(3, 4), optimize=True),
    # the sublist form (operand, labels, ..., [output labels])
    S(U(2, 3), [0, 1], [1, 0]), S(U(2, 3), [0, 1], U(3, 4), [1, 2], [0, 2]),
    S(U(2, 3), [0, 1], U(3, 4), [1, 2]), S(U(3, 3), [0, 0]), S(U(3), [0], U(3), [0], []),
    S(U(2, 3, 4), [Ellipsis, 0, 1], U(4, 2), [1, 2], [Ellipsis, 0, 2]),
    S(U(2, 3), [0, 1], [0], optimize=True), S(U(2, 3), [0, 1], U(3), [1]),
    S(U(3, 2, 3), [0, Ellipsis, 0]), S(U(2, 3), [Ellipsis, 1], U(3), [1]),
    # `...` in the middle and implicit outputs
    S("...ii->...i", U(2, 3, 3)), S("i...i", U(3, 2, 3)), S("i...,i...", U(3, 2), U(3, 2)),
    S("ij...,jk...->ik...", U(2, 3, 2), U(3, 4, 2)), S("ba,ab->", U(2, 3), U(3, 2)),
    S(",i", 2.5, U(3))]
SAMPLES[np.kron] = [S(U(2), U(3)), S(U(2, 2), U(3, 2)), S(U(2), U(2, 3)), S(U(2, 1, 2), U(2, 2))]
SAMPLES[np.cross] = [S(U(3), U(3)), S(U(4, 3), U(3)), S(U(3, 2), U(3, 2), axis=0),
                     S(U(2, 3), U(3, 2), axisa=1, axisb=0), S(U(2, 3), U(2, 3), axisc=0)]
SAMPLES[np.convolve] = [S(U(5), U(3)), S(U(3), U(5)), S(U(5), U(3), "same"),
                        S(U(3), U(6), "same"), S(U(5), U(3), mode="valid"),
                        S(U(2), U(5), mode="valid"), S(U(4), U(4), "same")]
SAMPLES[np.linalg.inv] = [S(invertible(3)), S(invertible(2, (2,))), S(invertible(1))]
SAMPLES[np.linalg.det] = [S(invertible(3)), S(invertible(2, (3,))), S(-invertible(3))]
SAMPLES[np.linalg.slogdet] = [S(invertible(3)), S(-invertible(3)), S(invertible(2, (2,)))]
SAMPLES[np.linalg.solve] = [S(invertible(3), U(3)), S(invertible(3), U(3, 2)),
                            S(invertible(3, (2,)), U(2, 3, 2))]
if NUMPY2:    # a 1-d b is one vector for a stack of matrices; before 2.0, b.ndim == a.ndim - 1 was
    SAMPLES[np.linalg.solve] += [S(invertible(3, (2,)), U(3)), S(invertible(3, (2,)), U(3, 1))]
else:
    SAMPLES[np.linalg.solve] += [S(invertible(3, (2,)), U(2, 3))]
SAMPLES[np.linalg.cholesky] = [S(spd(3)).sym("a"), S(spd(2, (2,))).sym("a"),
                               S(spd(4)).sym("a")]
try:
    _cholesky_has_upper = "upper" in inspect.signature(np.linalg.cholesky).parameters
except (TypeError, ValueError):
    _cholesky_has_upper = False
if _cholesky_has_upper:                                  # NumPy 2.0+
    SAMPLES[np.linalg.cholesky].append(S(spd(3), upper=True).sym("a"))
SAMPLES[np.linalg.eigh] = [S(sym_distinct(3)).sym("a"), S(sym_distinct(3, (2,))).sym("a"),
                           S(sym_distinct(4), "U").sym("a")]
SAMPLES[np.linalg.eigvalsh] = [S(sym_distinct(3)).sym("a"), S(sym_distinct(3, (2,))).sym("a"),
                               S(sym_distinct(4), UPLO="U").sym("a")]
def distinct_singular(m, n, batch=()):
    """A matrix with well separated, nonzero singular values."""
    u, _ = np.linalg.qr(U(*batch, m, m))
    v, _ = np.linalg.qr(U(*batch, n, n))
    k = min(m, n)
    s = np.zeros(batch + (m, n))
    s[..., range(k), range(k)] = np.arange(k, 0, -1) * 1.5 + 0.5
    return np.matmul(np.matmul(u, s), v)


def real_spectrum(n, batch=()):
    """A non-symmetric matrix with well separated real eigenvalues."""
    p = U(*batch, n, n) + n * np.eye(n)
    values = np.arange(1, n + 1) * 1.5 + U(*batch, n, low=-0.2, high=0.2)
    return np.matmul(p * values[..., None, :], np.linalg.inv(p))


SAMPLES[np.linalg.svd] = [
    S(distinct_singular(3, 3)), S(distinct_singular(4, 2), full_matrices=False),
    S(distinct_singular(2, 4), full_matrices=False), S(distinct_singular(3, 2), compute_uv=False),
    S(distinct_singular(2, 3, (2,)), False), S(distinct_singular(3, 3, (2,))),
    S(sym_distinct(3), hermitian=True).sym("a"), S(distinct_singular(2, 2), True, False)]
SAMPLES[np.linalg.eig] = [S(real_spectrum(3)), S(real_spectrum(2, (2,))), S(real_spectrum(4))]
SAMPLES[np.linalg.eigvals] = [S(real_spectrum(3)), S(real_spectrum(3, (2,)))]
SAMPLES[np.linalg.pinv] = [S(U(3, 2)), S(U(2, 4)), S(invertible(3)), S(U(2, 4, 3)),
                           S(spd(3), hermitian=True).sym("a"), S(U(3, 2), 1e-10)]
for _f in {getattr(np, "matrix_transpose", None),
           getattr(np.linalg, "matrix_transpose", None)} - {None}:
    SAMPLES[_f] = [S(U(2, 3)), S(U(2, 3, 4))]

# ----------------------------------------------------------------------------------------------
# NumPy: constructors and conversions

SAMPLES[np.array] = [S([1.0, 2.0, 3.0]), S([[1.0, 2.0], [3.0, 4.0]]), S([U(3), U(3)]),
                     S(U(2, 3)), S(2.5), S((1.5, -0.5)), S([1.0, 2.0], dtype=np.float64),
                     S([0.3, 1.4], np.int64)]
for _f in (np.asarray, np.asanyarray, np.ascontiguousarray):
    SAMPLES[_f] = [S([1.0, 2.0, 3.0]), S(U(2, 3)), S([U(2), U(2)]), S(U(3), np.float64)]
SAMPLES[np.copy] = [S(U(2, 3)), S([1.0, 2.0]), S(1.5)]
SAMPLES[np.float64] = [S(1.5), S(U(3))]
SAMPLES[method_function("astype")] = [S(U(3), np.float64), S(U(2, 2), np.float64),
                                        S(U(2, 2, low=0.2, high=0.8), np.int64)]
SAMPLES[np.full] = [S((2, 3), 1.5), S((2, 3), U(3)), S(3, U()), S((2, 3), U(2, 1))]
SAMPLES[np.full_like] = [S(U(2, 3), 0.7), S(U(2, 3), U(3)), S(U(4), U(1))]
SAMPLES[np.arange] = [S(0.5, 3.7), S(0.5, 3.7, 0.6), S(-1.3, 1.1, step=0.45), S(4.5),
                      S(0.3, 2.1, 0.4, np.int64)]
SAMPLES[np.linspace] = [S(0.5, 2.0, num=5), S(U(3), U(3), num=4, axis=1),
                        S(1.0, 3.0, 5, endpoint=False), S(0.2, 1.7, num=6, retstep=True),
                        S(U(2), 3.0, num=3), S(U(2), U(2), 4, axis=-1), S(0.5, 1.5, 1)]

# ----------------------------------------------------------------------------------------------
# Python operators, math and builtins

SAMPLES[operator.add] = binary()
SAMPLES[operator.sub] = binary()
SAMPLES[operator.mul] = binary()
SAMPLES[operator.truediv] = binary(values2=away)
SAMPLES[operator.pow] = binary(0.5, 2.0, -1.5, 1.5) + [S(away(3, low=0.5, high=2.0), 3)]
SAMPLES[operator.mod] = binary(-3.0, 3.0, values2=away)
SAMPLES[operator.matmul] = [S(U(3), U(3)), S(U(2, 3), U(3, 4)), S(U(2, 2, 3), U(3)),
                            S(U(3), U(3, 2))]
SAMPLES[operator.neg] = unary()
SAMPLES[operator.pos] = unary()

for _f in (math.sin, math.cos, math.atan, math.sinh, math.cosh, math.tanh, math.asinh,
           math.exp, math.expm1, math.erf, math.erfc, math.degrees, math.radians):
    SAMPLES[_f] = [S(U(low=-2.0, high=2.0)), S(0.7)]
SAMPLES[math.tan] = [S(U(low=-1.2, high=1.2))]
for _f in (math.asin, math.acos, math.atanh):
    SAMPLES[_f] = [S(U(low=-0.9, high=0.9))]
SAMPLES[math.acosh] = [S(U(low=1.2, high=3.0))]
for _f in (math.log2, math.log10, math.sqrt):
    SAMPLES[_f] = [S(U(low=0.3, high=3.0))]
SAMPLES[math.log] = [S(U(low=0.3, high=3.0)), S(U(low=0.3, high=3.0), U(low=1.5, high=4.0))]
SAMPLES[math.log1p] = [S(U(low=-0.5, high=3.0))]
SAMPLES[math.atan2] = [S(U(), U()), S(away(), away())]
SAMPLES[math.hypot] = [S(U(), U())]
SAMPLES[math.pow] = [S(U(low=0.5, high=2.0), U(low=-1.5, high=1.5))]
SAMPLES[math.fabs] = [S(away()), S(away())]

SAMPLES[abs] = [S(away()), S(away(4)), S(away(2, 3))]
SAMPLES[pow] = [S(U(low=0.5, high=2.0), U(low=-1.5, high=1.5)),
                S(U(2, 3, low=0.5, high=2.0), U(3, low=-1.0, high=1.0)), S(away(3), 2)]
SAMPLES[float] = [S(U()), S(np.float64(0.3))]
SAMPLES[max] = [S(U(), U()), S(0.3, 0.1), S(-0.5, 0.2)]
SAMPLES[min] = [S(U(), U()), S(0.3, 0.1), S(-0.5, 0.2)]
SAMPLES[sum] = [S([1.0, 2.0, 3.0]), S(U(4)), S(U(4), 1.5), S(U(3, 2))]
for _f in (list, tuple):
    SAMPLES[_f] = [S([1.5, -0.5, 2.0]), S((0.3, U(2))), S(U(3)), S(U(3, 2)), S([U(2), U(2, 2)])]
SAMPLES[dict] = [S({"a": 1.5, "b": U(2)}), S([("a", 1.5), ("b", 0.5), ("a", 2.0)])]
SAMPLES[runtime.max_of] = [S([0.3, 1.2, -0.4]), S(U(5))]
SAMPLES[runtime.min_of] = [S([0.3, 1.2, -0.4]), S(U(5))]

# ----------------------------------------------------------------------------------------------
# Large inputs for a few rules (random projections of big Jacobians)

def _separated(*shape):
    """Distinct values at least 1 apart, shuffled (no near-ties for sorting or max)."""
    return _rng.permutation(np.prod(shape)).reshape(shape) * 1.0


LARGE = {
    np.tanh: [S(U(200, 200))],
    np.matmul: [S(U(200, 200), U(200, 200))],
    np.sum: [S(U(200, 200), axis=0)],
    np.logaddexp: [S(U(200, 200), U(200))],
    np.linalg.inv: [S(invertible(200))],
    np.cumsum: [S(U(200, 200), axis=1)],
    np.max: [S(_separated(200, 200), axis=1)],
    np.einsum: [S("ij,jk->ik", U(200, 200), U(200, 200))],
    np.sort: [S(_separated(200, 200), axis=1)],
    np.prod: [S(U(200, 200, low=0.9, high=1.1), axis=0)],
}
