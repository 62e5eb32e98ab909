"""Callables whose results carry no gradient, in one explicit table.

Their outputs are integers, booleans, shapes or piecewise-constant values: the derivative is
zero wherever it exists, so values computed from them are treated as constants. Anything not in
this table and without a gradient rule is differentiated from its source, or refused.
"""

import math
import operator

import numpy as np

from .registry import nondifferentiable

nondifferentiable(
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_, operator.truth, operator.is_, operator.is_not, operator.contains,
    operator.floordiv, operator.invert, operator.and_, operator.or_, operator.xor,
    operator.lshift, operator.rshift,
    why="comparison or integer operation")

# Not here: enumerate, zip, reversed, sorted and divmod pass values on (a loop header that
# uses them is rewritten before this table is read); called elsewhere on values that need a
# gradient they are refused, never taken for constants.
nondifferentiable(
    len, int, bool, round, range, isinstance, type, id, print, repr, str, hash, any, all,
    why="Python builtin with an integer, boolean or non-numeric result")

nondifferentiable(
    math.floor, math.ceil, math.trunc, math.isfinite, math.isinf, math.isnan, math.isclose,
    math.factorial, math.gcd, math.comb, math.perm,
    why="piecewise constant or integer-valued")

nondifferentiable(
    np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix, np.sign,
    np.isfinite, np.isinf, np.isnan, np.isclose, np.allclose, np.array_equal,
    np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero, np.searchsorted,
    np.shape, np.ndim, np.size, np.count_nonzero, np.floor_divide,
    np.heaviside, np.signbit, np.any, np.all, np.isscalar, np.result_type,
    np.zeros, np.ones, np.empty, np.eye, np.identity,
    np.zeros_like, np.ones_like, np.empty_like,
    why="piecewise constant, integer-valued, or a constructor that ignores its values")

nondifferentiable(
    np.nanargmax, np.nanargmin, np.argpartition, np.lexsort, np.digitize, np.isin,
    np.unravel_index, np.ravel_multi_index, np.indices, np.diag_indices, np.diag_indices_from,
    np.tril_indices, np.tril_indices_from, np.triu_indices, np.triu_indices_from,
    why="integer-valued: indices or positions")

nondifferentiable(
    np.isreal, np.iscomplex, np.isrealobj, np.iscomplexobj, np.isposinf, np.isneginf,
    np.array_equiv, np.isfortran, np.issubdtype, np.can_cast, np.promote_types,
    np.min_scalar_type, np.broadcast_shapes, np.shares_memory, np.may_share_memory,
    np.spacing, np.finfo, np.iinfo, np.dtype,
    why="boolean-valued, type information, or piecewise constant")

nondifferentiable(np.tri, why="a constructor that ignores its values")

nondifferentiable(
    np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert, np.left_shift, np.right_shift,
    np.gcd, np.lcm,
    why="integer operation")

nondifferentiable(
    np.random.rand, np.random.randn, np.random.normal, np.random.uniform,
    np.random.randint, np.random.choice, np.random.permutation,
    np.random.random, np.random.standard_normal, np.random.seed, np.random.default_rng,
    why="random numbers or a random generator (not a function of the inputs)")

for _name in ("round_", "alltrue", "sometrue", "in1d"):     # removed in NumPy 2.x
    if hasattr(np, _name):
        nondifferentiable(getattr(np, _name), why="piecewise constant or boolean-valued")
