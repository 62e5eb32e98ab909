"""Gradient rules of NumPy functions, and the array methods/attributes that map onto them.

Sections: elementwise unary, elementwise binary (broadcasting), selection, reductions, shape and
joining, indexing, linear algebra, constructors, then the method/attribute table. Per-shape
logic lives in :mod:`chainrule.runtime` helpers so that every rule body inlines.

Conventions where the derivative does not exist or is not unique:

* ``abs``/``fabs``/``copysign``: derivative 0 at 0 (as ``np.sign``).
* Ties split the cotangent evenly: ``maximum``/``minimum``/``fmax``/``fmin`` between the two
  operands; ``max``/``min``/``amax``/``amin``/``nanmax``/``nanmin``/``ptp`` and ``linalg.norm``
  with ``ord=inf``/``1`` among the tied elements of a slice. ``fmax``/``fmin`` give everything
  to the non-NaN operand.
* ``clip(a, a_min, a_max)`` is ``minimum(maximum(a, a_min), a_max)``: strictly inside the
  interval the cotangent goes to ``a``, outside to the bound, and at a boundary it is split
  evenly between ``a`` and that bound.
* ``where(cond, x, y)``: ``x`` gets the cotangent where ``cond`` holds, ``y`` elsewhere.
* ``sort``/``median``: ties are resolved by a stable sort (any choice gives the same sum).
* Spectral norms assume a simple extreme singular value, ``eigh`` distinct eigenvalues (at a
  repeated one, the convention of ``svd`` below). ``eigh``, ``eigvalsh`` and ``cholesky``
  read one triangle of a matrix assumed symmetric; their gradient is symmetrized (it is the
  gradient with respect to a symmetric matrix). ``det``/``slogdet``/``inv``/``solve`` need an
  invertible matrix. Complex inputs are not supported (no conjugation anywhere).
* Every norm (``linalg.norm``, any ``ord``/``axis``), ``std`` and ``hypot``: gradient 0 where
  the result is 0 (a zero vector, no spread, one element); a p-norm with p < 1 also gives 0
  at each zero element. (``sqrt`` at 0 keeps its genuine infinity.)
* ``linalg.svd``: at a repeated singular value the singular vectors get no gradient within
  their subspace (the 1 / (s_j^2 - s_i^2) terms with equal values are 0; the gradient of the
  singular values alone is exact); a zero singular value of a non-square matrix gives 0 for
  the 1 / s terms. ``full_matrices=True`` on a non-square matrix: a cotangent on the extra
  (non-unique) singular vectors is refused at run time (ValueError). The primal's own
  vectors are used, so their signs need not be fixed.
* ``linalg.eig``/``eigvals``: real matrices with a real spectrum only (a complex result is
  refused at run time, ValueError); eigenvectors have unit length; repeated eigenvalues get
  the same zero convention as ``svd``. ``linalg.pinv``: the rank must not change nearby.
* ``real``/``conjugate`` pass the cotangent through and ``imag`` has gradient 0 (real input).
  ``nan_to_num``: replaced entries give their cotangent to ``nan``/``posinf``/``neginf``.
  ``partition``: equal values are interchangeable. ``select``: the first true condition takes
  the cotangent, else ``default``. ``gradient``: scalar spacings only (up to three, by
  position; coordinate arrays are refused at run time).

Calling conventions the rules cannot express directly:

* Sequence parameters (``concatenate``, ``stack``, ``hstack``, ...) get a list of cotangents.
  ``split`` and friends return a list; entries of their ``out_bar`` may be None (zeros).
* ``einsum(subscripts, a, b=None, c=None, d=None)``: subscript form with up to four operands,
  or the sublist form with up to two (``einsum(a, [0, 1], b, [1, 2], [0, 2])``).
* ``atleast_1d/2d/3d`` take one array (the several-array form returns a list).
* ``slogdet``/``eigh`` return pairs; their ``out_bar`` is a pair whose entries may be None.
* ``out=``, ``where=``, ``initial=`` and similar keywords are not accepted.
* ``np.r_[...]`` and ``np.c_[...]`` are differentiated with respect to their parts: arrays
  (2-D too), numbers and lists. A range written as a slice (``np.r_[0:3, x]``,
  ``np.r_[x, -1:1:5j]``) is a constant, refused if a bound needs a gradient; a string
  directive (``np.r_['0,2', ...]``, ``'r'``, ``'c'``) is refused. ``np.s_`` and
  ``np.index_exp`` build constant indices; they, ``np.mgrid`` and ``np.ogrid`` are refused
  when given a value that needs a gradient (``np.ix_`` and ``np.meshgrid`` have no rule).
* ``np.arange(start, stop, step)``: the values ``start + k * step`` have a gradient with
  respect to ``start`` and ``step``; ``stop`` (or a lone argument, a count) only decides how
  many there are.
"""

import numpy as np

from ..runtime import (append_backward, arange_backward, astype, astype_backward,
                       average_backward, cast_cotangent, cholesky_backward,
                       column_stack_backward, concatenate_backward,
                       convolve_backward, cross_backward, cumprod_backward, cumulative_backward,
                       det_backward, diag_backward, diff_backward, divide_or_zero, dot_adjoint_lhs,
                       dot_adjoint_rhs, dstack_backward, eig_backward, eigh_backward,
                       eigvals_backward, eigvalsh_backward, einsum_arguments_backward,
                       extremum_backward, gradient_backward, hstack_backward, index_grid,
                       inner_backward, kron_backward, linspace_backward, log_of_base,
                       matmul_adjoint_lhs, matmul_adjoint_rhs, median_backward,
                       nan_to_num_backward, nanmean_backward, norm_backward, pad_backward,
                       partition_backward, pinv_backward, power_cotangent, prod_backward,
                       restructure, rollaxis_backward, scatter_add, select_backward, sign_of,
                       slogdet_backward, solve_backward, sort_backward, split_backward,
                       svd_backward, tensordot_backward, unbroadcast, unstack, vstack_backward,
                       zero_cotangent)
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


@adjoint(np.arcsinh)
def arcsinh_adjoint(out_bar, out, x):
    return out_bar / np.sqrt(x * x + 1.0)


@adjoint(np.arccosh)
def arccosh_adjoint(out_bar, out, x):
    return out_bar / np.sqrt(x * x - 1.0)


@adjoint(np.arctanh)
def arctanh_adjoint(out_bar, out, x):
    return out_bar / (1.0 - x * x)


@adjoint(np.exp)
def exp_adjoint(out_bar, out, x):
    return out_bar * out


@adjoint(np.exp2)
def exp2_adjoint(out_bar, out, x):
    return out_bar * out * np.log(2.0)


@adjoint(np.expm1)
def expm1_adjoint(out_bar, out, x):
    return out_bar * (out + 1.0)


@adjoint(np.log)
def log_adjoint(out_bar, out, x):
    return out_bar / x


@adjoint(np.log2)
def log2_adjoint(out_bar, out, x):
    return out_bar / (x * np.log(2.0))


@adjoint(np.log10)
def log10_adjoint(out_bar, out, x):
    return out_bar / (x * np.log(10.0))


@adjoint(np.log1p)
def log1p_adjoint(out_bar, out, x):
    return out_bar / (1.0 + x)


@adjoint(np.sqrt)
def sqrt_adjoint(out_bar, out, x):
    return out_bar * 0.5 / out


@adjoint(np.cbrt)
def cbrt_adjoint(out_bar, out, x):
    return out_bar / (3.0 * out * out)


@adjoint(np.square)
def square_adjoint(out_bar, out, x):
    return out_bar * 2.0 * x


@adjoint(np.reciprocal)
def reciprocal_adjoint(out_bar, out, x):
    return -out_bar * out * out


@adjoint(np.abs)
def abs_adjoint(out_bar, out, x):
    return out_bar * sign_of(x)


@adjoint(np.fabs)
def fabs_adjoint(out_bar, out, x):
    return out_bar * sign_of(x)


@adjoint(np.negative)
def negative_adjoint(out_bar, out, x):
    return -out_bar


@adjoint(np.positive)
def positive_adjoint(out_bar, out, x):
    return out_bar


@adjoint(np.deg2rad)
@adjoint(np.radians)
def deg2rad_adjoint(out_bar, out, x):
    return out_bar * (np.pi / 180.0)


@adjoint(np.rad2deg)
@adjoint(np.degrees)
def rad2deg_adjoint(out_bar, out, x):
    return out_bar * (180.0 / np.pi)


@adjoint(np.sinc)
def sinc_adjoint(out_bar, out, x):
    # d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, and 0 at x == 0
    zero = x == 0
    return out_bar * np.where(zero, 0.0, (np.cos(np.pi * x) - out) / np.where(zero, 1.0, x))


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
    return (unbroadcast(power_cotangent(out_bar, x1, x2), x1),
            unbroadcast(out_bar * out * log_of_base(x1), x2))


@adjoint(np.float_power)
def float_power_adjoint(out_bar, out, x1, x2):
    return (unbroadcast(out_bar * x2 * np.float_power(x1, x2 - 1), x1),
            unbroadcast(out_bar * out * log_of_base(x1), x2))


@adjoint(np.arctan2)
def arctan2_adjoint(out_bar, out, x1, x2):
    denominator = x1 * x1 + x2 * x2
    return unbroadcast(out_bar * x2 / denominator, x1), unbroadcast(-out_bar * x1 / denominator, x2)


@adjoint(np.hypot)
def hypot_adjoint(out_bar, out, x1, x2):
    # At (0, 0), a cone's tip, the subgradient 0 (as linalg.norm).
    return (unbroadcast(out_bar * divide_or_zero(x1, out), x1),
            unbroadcast(out_bar * divide_or_zero(x2, out), x2))


@adjoint(np.logaddexp)
def logaddexp_adjoint(out_bar, out, x1, x2):
    return unbroadcast(out_bar * np.exp(x1 - out), x1), unbroadcast(out_bar * np.exp(x2 - out), x2)


@adjoint(np.logaddexp2)
def logaddexp2_adjoint(out_bar, out, x1, x2):
    return (unbroadcast(out_bar * np.exp2(x1 - out), x1),
            unbroadcast(out_bar * np.exp2(x2 - out), x2))


@adjoint(np.maximum)
def maximum_adjoint(out_bar, out, x1, x2):
    share = (x1 > x2) + 0.5 * (x1 == x2)
    return unbroadcast(out_bar * share, x1), unbroadcast(out_bar * (1.0 - share), x2)


@adjoint(np.minimum)
def minimum_adjoint(out_bar, out, x1, x2):
    share = (x1 < x2) + 0.5 * (x1 == x2)
    return unbroadcast(out_bar * share, x1), unbroadcast(out_bar * (1.0 - share), x2)


@adjoint(np.fmax)
def fmax_adjoint(out_bar, out, x1, x2):
    share = (x1 > x2) + 0.5 * (x1 == x2) + np.isnan(x2)
    return unbroadcast(out_bar * share, x1), unbroadcast(out_bar * (1.0 - share), x2)


@adjoint(np.fmin)
def fmin_adjoint(out_bar, out, x1, x2):
    share = (x1 < x2) + 0.5 * (x1 == x2) + np.isnan(x2)
    return unbroadcast(out_bar * share, x1), unbroadcast(out_bar * (1.0 - share), x2)


@adjoint(np.mod)
def mod_adjoint(out_bar, out, x1, x2):
    # x1 % x2 == x1 - x2 * floor(x1 / x2): piecewise linear, with jumps where x1 / x2 is an integer
    return unbroadcast(out_bar, x1), unbroadcast(-out_bar * np.floor_divide(x1, x2), x2)


@adjoint(np.fmod)
def fmod_adjoint(out_bar, out, x1, x2):
    # fmod(x1, x2) == x1 - x2 * trunc(x1 / x2)
    return unbroadcast(out_bar, x1), unbroadcast(-out_bar * np.trunc(x1 / x2), x2)


@adjoint(np.copysign)
def copysign_adjoint(out_bar, out, x1, x2):
    return unbroadcast(out_bar * np.sign(x1) * np.copysign(1.0, x2), x1)


@adjoint(np.ldexp)
def ldexp_adjoint(out_bar, out, x1, x2):
    return unbroadcast(np.ldexp(out_bar, x2), x1)


# ----------------------------------------------------------------------------------------------
# Selection

@adjoint(np.where)
def where_adjoint(out_bar, out, condition, x=None, y=None):
    return (None, unbroadcast(np.where(condition, out_bar, 0.0), x),
            unbroadcast(np.where(condition, 0.0, out_bar), y))


@adjoint(np.clip)
def clip_adjoint(out_bar, out, a, a_min=None, a_max=None):
    if a_min is None:
        low = a
        share_low = 1.0
    else:
        low = np.maximum(a, a_min)
        share_low = (a > a_min) + 0.5 * (a == a_min)
    if a_max is None:
        share_high = 1.0
    else:
        share_high = (low < a_max) + 0.5 * (low == a_max)
    low_bar = out_bar * share_high
    if a_min is None:
        a_min_bar = None
    else:
        a_min_bar = unbroadcast(low_bar * (1.0 - share_low), a_min)
    if a_max is None:
        a_max_bar = None
    else:
        a_max_bar = unbroadcast(out_bar * (1.0 - share_high), a_max)
    return unbroadcast(low_bar * share_low, a), a_min_bar, a_max_bar


@adjoint(np.select)
def select_adjoint(out_bar, out, condlist, choicelist, default=0):
    grads = select_backward(out_bar, condlist, choicelist, default)
    return None, grads[0], grads[1]


@adjoint(np.nan_to_num)
def nan_to_num_adjoint(out_bar, out, x, copy=True, nan=0.0, posinf=None, neginf=None):
    grads = nan_to_num_backward(out_bar, x, nan, posinf, neginf)
    return grads[0], None, grads[1], grads[2], grads[3]


# ----------------------------------------------------------------------------------------------
# Real and imaginary parts (of real input: complex numbers are not supported)

@adjoint(np.real)
def real_adjoint(out_bar, out, val):
    return restructure(out_bar, val)


@adjoint(np.conjugate)
def conjugate_adjoint(out_bar, out, x):
    return out_bar          # (a ufunc, elementwise: as np.positive)


@adjoint(np.imag)
def imag_adjoint(out_bar, out, val):
    return zero_cotangent(val)


# ----------------------------------------------------------------------------------------------
# Reductions

@adjoint(np.sum)
def sum_adjoint(out_bar, out, a, axis=None, dtype=None, keepdims=False):
    if axis is None or keepdims:
        grad = np.broadcast_to(out_bar, np.shape(a))
    else:       # (NumPy also takes axis=0 of a 0-d array, and leaves it as it is)
        grad = np.broadcast_to(np.expand_dims(out_bar, axis) if np.ndim(a) else out_bar,
                               np.shape(a))
    # A sum in an integer dtype is piecewise constant (folded away for dtype=None).
    return np.zeros(np.shape(a)) if dtype is not None and \
        np.issubdtype(np.dtype(dtype), np.integer) else grad


@adjoint(np.nansum)
def nansum_adjoint(out_bar, out, a, axis=None, dtype=None, keepdims=False):
    if axis is None or keepdims:
        grad = out_bar
    else:
        grad = np.expand_dims(out_bar, axis) if np.ndim(a) else out_bar
    return np.where(np.isnan(a), 0.0, grad)


@adjoint(np.mean)
def mean_adjoint(out_bar, out, a, axis=None, dtype=None, keepdims=False):
    # An empty array's gradient is empty: counting it as 1 divides nothing by zero.
    if axis is None:
        count = np.size(a) or 1
    else:
        count = (np.size(a) // np.size(out) if np.size(out) else 0) or 1
    if axis is None or keepdims:
        grad = np.broadcast_to(out_bar / count, np.shape(a))
    else:
        grad = np.broadcast_to(np.expand_dims(out_bar / count, axis), np.shape(a))
    # A mean in an integer dtype is piecewise constant (folded away for dtype=None).
    return np.zeros(np.shape(a)) if dtype is not None and \
        np.issubdtype(np.dtype(dtype), np.integer) else grad


@adjoint(np.nanmean)
def nanmean_adjoint(out_bar, out, a, axis=None, dtype=None, keepdims=False):
    return nanmean_backward(out_bar, a, axis, keepdims)


@adjoint(np.average)
def average_adjoint(out_bar, out, a, axis=None, weights=None, returned=False, keepdims=False):
    grads = average_backward(out_bar, a, axis, weights, returned, keepdims)
    return grads[0], None, grads[1]


@adjoint(np.median)
def median_adjoint(out_bar, out, a, axis=None, keepdims=False):
    return median_backward(out_bar, a, axis, keepdims)


@adjoint(np.prod)
def prod_adjoint(out_bar, out, a, axis=None, dtype=None, keepdims=False):
    return prod_backward(out_bar, a, axis, keepdims)


@adjoint(np.max)
@adjoint(np.amax)
@adjoint(np.min)
@adjoint(np.amin)
@adjoint(np.nanmax)
@adjoint(np.nanmin)
def max_adjoint(out_bar, out, a, axis=None, keepdims=False):
    return extremum_backward(out_bar, out, a, axis, keepdims)


@adjoint(np.ptp)
def ptp_adjoint(out_bar, out, a, axis=None, keepdims=False):
    high = np.max(a, axis=axis, keepdims=keepdims)
    low = np.min(a, axis=axis, keepdims=keepdims)
    return (extremum_backward(out_bar, high, a, axis, keepdims)
            - extremum_backward(out_bar, low, a, axis, keepdims))


@adjoint(np.var)
def var_adjoint(out_bar, out, a, axis=None, dtype=None, ddof=0, keepdims=False):
    count = np.size(a) / np.size(out) - ddof
    centered = a - np.mean(a, axis=axis, keepdims=True)
    if axis is None or keepdims:
        grad = out_bar
    else:
        grad = np.expand_dims(out_bar, axis)
    return grad * 2.0 * centered / count


@adjoint(np.std)
def std_adjoint(out_bar, out, a, axis=None, dtype=None, ddof=0, keepdims=False):
    count = np.size(a) / np.size(out) - ddof
    centered = a - np.mean(a, axis=axis, keepdims=True)
    # Zero spread (one element, or all equal): the subgradient 0, not 0 / 0.
    if axis is None or keepdims:
        grad = divide_or_zero(out_bar, out)
    else:
        grad = np.expand_dims(divide_or_zero(out_bar, out), axis)
    return grad * centered / count


@adjoint(np.cumsum)
def cumsum_adjoint(out_bar, out, a, axis=None, dtype=None):
    if axis is None:
        grad = np.reshape(np.flip(np.cumsum(np.flip(out_bar))), np.shape(a))
    else:
        grad = np.flip(np.cumsum(np.flip(out_bar, axis), axis), axis)
    return grad


@adjoint(np.cumprod)
def cumprod_adjoint(out_bar, out, a, axis=None, dtype=None):
    return cumprod_backward(out_bar, a, out, axis)


if hasattr(np, "cumulative_sum"):                    # NumPy 2.1+
    @adjoint(np.cumulative_sum)
    def cumulative_sum_adjoint(out_bar, out, x, axis=None, dtype=None, include_initial=False):
        return cumulative_backward(out_bar, x, axis, include_initial)

    @adjoint(np.cumulative_prod)
    def cumulative_prod_adjoint(out_bar, out, x, axis=None, dtype=None, include_initial=False):
        return cumulative_backward(out_bar, x, axis, include_initial, True, out)


@adjoint(np.linalg.norm)
def norm_adjoint(out_bar, out, x, ord=None, axis=None, keepdims=False):
    return norm_backward(out_bar, out, x, ord, axis, keepdims)


# ----------------------------------------------------------------------------------------------
# Shape and joining

@adjoint(np.reshape)
def reshape_adjoint(out_bar, out, a, shape=None, order="C", newshape=None):   # newshape: NumPy 1.x
    return np.reshape(out_bar, np.shape(a), order=order)


@adjoint(np.ravel)
def ravel_adjoint(out_bar, out, a, order="C"):
    return np.reshape(out_bar, np.shape(a), order=order)


@adjoint(np.transpose)
def transpose_adjoint(out_bar, out, a, axes=None):
    if axes is None:
        grad = np.transpose(out_bar)
    else:
        grad = np.transpose(out_bar, np.argsort(np.mod(axes, np.ndim(a))))
    return grad


@adjoint(np.swapaxes)
def swapaxes_adjoint(out_bar, out, a, axis1, axis2):
    return np.swapaxes(out_bar, axis1, axis2)


@adjoint(np.moveaxis)
def moveaxis_adjoint(out_bar, out, a, source, destination):
    return np.moveaxis(out_bar, destination, source)


@adjoint(np.expand_dims)
def expand_dims_adjoint(out_bar, out, a, axis):
    return np.reshape(out_bar, np.shape(a))


@adjoint(np.squeeze)
def squeeze_adjoint(out_bar, out, a, axis=None):
    return np.reshape(out_bar, np.shape(a))


@adjoint(np.atleast_1d)
@adjoint(np.atleast_2d)
@adjoint(np.atleast_3d)
def atleast_adjoint(out_bar, out, ary):
    return np.reshape(out_bar, np.shape(ary))


@adjoint(np.broadcast_to)
def broadcast_to_adjoint(out_bar, out, array, shape, subok=False):
    return unbroadcast(out_bar, array)


@adjoint(np.tile)
def tile_adjoint(out_bar, out, A, reps):
    return scatter_add(out_bar, A, np.tile(index_grid(A), reps))


@adjoint(np.repeat)
def repeat_adjoint(out_bar, out, a, repeats, axis=None):
    return scatter_add(out_bar, a, np.repeat(index_grid(a), repeats, axis))


@adjoint(np.concatenate)
def concatenate_adjoint(out_bar, out, arrays, axis=0):
    return concatenate_backward(out_bar, arrays, axis)


@adjoint(np.stack)
def stack_adjoint(out_bar, out, arrays, axis=0):
    return unstack(out_bar, arrays, axis)


@adjoint(np.hstack)
def hstack_adjoint(out_bar, out, tup):
    return hstack_backward(out_bar, tup)


@adjoint(np.vstack)
def vstack_adjoint(out_bar, out, tup):
    return vstack_backward(out_bar, tup)


if getattr(np, "row_stack", None) is not None and np.row_stack is not np.vstack:
    adjoint(np.row_stack)(vstack_adjoint)            # deprecated alias of vstack (NumPy 2.0)


@adjoint(np.dstack)
def dstack_adjoint(out_bar, out, tup):
    return dstack_backward(out_bar, tup)


@adjoint(np.column_stack)
def column_stack_adjoint(out_bar, out, tup):
    return column_stack_backward(out_bar, tup)


@adjoint(np.append)
def append_adjoint(out_bar, out, arr, values, axis=None):
    grads = append_backward(out_bar, arr, values, axis)
    return grads[0], grads[1]


@adjoint(np.split)
@adjoint(np.array_split)
def split_adjoint(out_bar, out, ary, indices_or_sections, axis=0):
    return split_backward(out_bar, out, axis)


@adjoint(np.hsplit)
def hsplit_adjoint(out_bar, out, ary, indices_or_sections):
    return split_backward(out_bar, out, 1 if np.ndim(ary) > 1 else 0)


@adjoint(np.vsplit)
def vsplit_adjoint(out_bar, out, ary, indices_or_sections):
    return split_backward(out_bar, out, 0)


@adjoint(np.dsplit)
def dsplit_adjoint(out_bar, out, ary, indices_or_sections):
    return split_backward(out_bar, out, 2)


@adjoint(np.flip)
def flip_adjoint(out_bar, out, m, axis=None):
    return np.flip(out_bar, axis)


@adjoint(np.fliplr)
def fliplr_adjoint(out_bar, out, m):
    return np.fliplr(out_bar)


@adjoint(np.flipud)
def flipud_adjoint(out_bar, out, m):
    return np.flipud(out_bar)


@adjoint(np.roll)
def roll_adjoint(out_bar, out, a, shift, axis=None):
    return np.roll(out_bar, np.negative(shift), axis)


@adjoint(np.rot90)
def rot90_adjoint(out_bar, out, m, k=1, axes=(0, 1)):
    return np.rot90(out_bar, -k, axes)


@adjoint(np.diff)
def diff_adjoint(out_bar, out, a, n=1, axis=-1):
    return diff_backward(out_bar, a, n, axis)


@adjoint(np.sort)
def sort_adjoint(out_bar, out, a, axis=-1, kind=None, order=None):
    return sort_backward(out_bar, a, axis)


@adjoint(np.delete)
def delete_adjoint(out_bar, out, arr, obj, axis=None):
    return scatter_add(out_bar, arr, np.delete(index_grid(arr), obj, axis))


@adjoint(np.pad)
def pad_adjoint(out_bar, out, array, pad_width, mode="constant", constant_values=0):
    grads = pad_backward(out_bar, array, pad_width, mode, constant_values)
    return grads[0], None, None, grads[1]


@adjoint(np.partition)
def partition_adjoint(out_bar, out, a, kth, axis=-1, kind="introselect", order=None):
    return partition_backward(out_bar, a, out, axis)


@adjoint(np.rollaxis)
def rollaxis_adjoint(out_bar, out, a, axis, start=0):
    return rollaxis_backward(out_bar, a, axis, start)


@adjoint(np.gradient)
def gradient_adjoint(out_bar, out, f, dx=None, dy=None, dz=None, *, axis=None, edge_order=1):
    # np.gradient(f, *varargs): up to three scalar spacings, by position
    grads = gradient_backward(out_bar, out, f, dx, dy, dz, axis, edge_order)
    return grads[0], grads[1], grads[2], grads[3]


# ----------------------------------------------------------------------------------------------
# Indexing helpers (repeated indices accumulate)

@adjoint(np.take)
def take_adjoint(out_bar, out, a, indices, axis=None, mode="raise"):
    return scatter_add(out_bar, a, np.take(index_grid(a), indices, axis, mode=mode))


@adjoint(np.take_along_axis)
def take_along_axis_adjoint(out_bar, out, arr, indices, axis=-1):
    return scatter_add(out_bar, arr, np.take_along_axis(index_grid(arr), indices, axis))


@adjoint(np.diagonal)
def diagonal_adjoint(out_bar, out, a, offset=0, axis1=0, axis2=1):
    return scatter_add(out_bar, a, np.diagonal(index_grid(a), offset, axis1, axis2))


@adjoint(np.trace)
def trace_adjoint(out_bar, out, a, offset=0, axis1=0, axis2=1, dtype=None):
    return scatter_add(np.expand_dims(out_bar, -1), a,
                       np.diagonal(index_grid(a), offset, axis1, axis2))


@adjoint(np.diag)
def diag_adjoint(out_bar, out, v, k=0):
    return diag_backward(out_bar, v, k)


@adjoint(np.triu)
def triu_adjoint(out_bar, out, m, k=0):
    return np.triu(out_bar, k)


@adjoint(np.tril)
def tril_adjoint(out_bar, out, m, k=0):
    return np.tril(out_bar, k)


# ----------------------------------------------------------------------------------------------
# Linear algebra

@adjoint(np.matmul)
def matmul_adjoint(out_bar, out, x1, x2):
    return matmul_adjoint_lhs(out_bar, x1, x2), matmul_adjoint_rhs(out_bar, x1, x2)


@adjoint(np.dot)
def dot_adjoint(out_bar, out, a, b):
    return dot_adjoint_lhs(out_bar, a, b), dot_adjoint_rhs(out_bar, a, b)


@adjoint(np.inner)
def inner_adjoint(out_bar, out, a, b):
    grads = inner_backward(out_bar, a, b)
    return grads[0], grads[1]


@adjoint(np.outer)
def outer_adjoint(out_bar, out, a, b):
    return (np.reshape(np.dot(out_bar, np.ravel(b)), np.shape(a)),
            np.reshape(np.dot(np.ravel(a), out_bar), np.shape(b)))


@adjoint(np.vdot)
def vdot_adjoint(out_bar, out, a, b):
    return np.reshape(out_bar * np.ravel(b), np.shape(a)), np.reshape(out_bar * np.ravel(a),
                                                                      np.shape(b))


@adjoint(np.tensordot)
def tensordot_adjoint(out_bar, out, a, b, axes=2):
    grads = tensordot_backward(out_bar, a, b, axes)
    return grads[0], grads[1]


@adjoint(np.einsum)
def einsum_adjoint(out_bar, out, subscripts, a, b=None, c=None, d=None, optimize=False):
    # (in the sublist form, einsum(x, [0, 1], [1, 0]), "subscripts" is the first operand)
    grads = einsum_arguments_backward(out_bar, subscripts, a, b, c, d)
    return grads[0], grads[1], grads[2], grads[3], grads[4]


@adjoint(np.kron)
def kron_adjoint(out_bar, out, a, b):
    grads = kron_backward(out_bar, a, b)
    return grads[0], grads[1]


@adjoint(np.cross)
def cross_adjoint(out_bar, out, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    grads = cross_backward(out_bar, a, b, axisa, axisb, axisc, axis)
    return grads[0], grads[1]


@adjoint(np.convolve)
def convolve_adjoint(out_bar, out, a, v, mode="full"):
    grads = convolve_backward(out_bar, a, v, mode)
    return grads[0], grads[1]


@adjoint(np.linalg.inv)
def inv_adjoint(out_bar, out, a):
    out_t = np.swapaxes(out, -1, -2)
    return -np.matmul(np.matmul(out_t, out_bar), out_t)


@adjoint(np.linalg.det)
def det_adjoint(out_bar, out, a):
    return det_backward(out_bar, out, a)


@adjoint(np.linalg.slogdet)
def slogdet_adjoint(out_bar, out, a):
    return slogdet_backward(out_bar, a)


@adjoint(np.linalg.solve)
def solve_adjoint(out_bar, out, a, b):
    grads = solve_backward(out_bar, out, a, b)
    return grads[0], grads[1]


@adjoint(np.linalg.cholesky)
def cholesky_adjoint(out_bar, out, a, upper=False):
    return cholesky_backward(out_bar, out, upper)


@adjoint(np.linalg.eigh)
def eigh_adjoint(out_bar, out, a, UPLO="L"):
    return eigh_backward(out_bar, out)


@adjoint(np.linalg.eigvalsh)
def eigvalsh_adjoint(out_bar, out, a, UPLO="L"):
    return eigvalsh_backward(out_bar, a, UPLO)


@adjoint(np.linalg.eig)
def eig_adjoint(out_bar, out, a):
    return eig_backward(out_bar, out)


@adjoint(np.linalg.eigvals)
def eigvals_adjoint(out_bar, out, a):
    return eigvals_backward(out_bar, a, out)


@adjoint(np.linalg.svd)
def svd_adjoint(out_bar, out, a, full_matrices=True, compute_uv=True, hermitian=False):
    return svd_backward(out_bar, out, a, full_matrices, compute_uv, hermitian)


@adjoint(np.linalg.pinv)
def pinv_adjoint(out_bar, out, a, rcond=None, hermitian=False, rtol=None):
    return pinv_backward(out_bar, out, a, hermitian)


for _transpose in {getattr(np, "matrix_transpose", None),
                   getattr(np.linalg, "matrix_transpose", None)} - {None}:   # NumPy 2.0+
    @adjoint(_transpose)
    def matrix_transpose_adjoint(out_bar, out, x):
        return np.swapaxes(out_bar, -1, -2)


# ----------------------------------------------------------------------------------------------
# Constructors and conversions: the gradient passes through to the numeric content

@adjoint(np.array)
def array_adjoint(out_bar, out, object, dtype=None):
    return restructure(out_bar, object, dtype)


@adjoint(np.asarray)
@adjoint(np.asanyarray)
@adjoint(np.ascontiguousarray)
def asarray_adjoint(out_bar, out, a, dtype=None):
    return restructure(out_bar, a, dtype)


@adjoint(np.copy)
def copy_adjoint(out_bar, out, a, order="K"):
    return restructure(out_bar, a)


@adjoint(np.float64)
def float64_adjoint(out_bar, out, x):
    return out_bar


_astype = getattr(np, "astype", astype)              # np.astype is NumPy 2.1+


@adjoint(_astype)
def astype_adjoint(out_bar, out, x, dtype, copy=True):
    return astype_backward(out_bar, x, dtype)


@adjoint(np.full)
def full_adjoint(out_bar, out, shape, fill_value, dtype=None):
    return None, unbroadcast(out_bar, fill_value)


@adjoint(np.full_like)
def full_like_adjoint(out_bar, out, a, fill_value, dtype=None):
    # The result has the dtype of a (unless dtype is given): an integer one truncates.
    return None, cast_cotangent(unbroadcast(out_bar, fill_value), np.result_type(out))


@adjoint(np.arange)
def arange_adjoint(out_bar, out, start, stop=None, step=None, dtype=None):
    # start + k * step for k = 0, 1, ...: stop (or a lone argument, a count) only decides
    # how many values there are, which has no gradient.
    grads = arange_backward(out_bar, out, stop)
    return grads[0], None, grads[1], None


@adjoint(np.linspace)
def linspace_adjoint(out_bar, out, start, stop, num=50, endpoint=True, retstep=False,
                     dtype=None, axis=0):
    grads = linspace_backward(out_bar, start, stop, num, endpoint, retstep, axis)
    return grads[0], grads[1]


# ----------------------------------------------------------------------------------------------
# Array methods and attributes, differentiated like the NumPy function of the same name

for _name in ("sum", "mean", "prod", "max", "min", "var", "std", "cumsum", "cumprod", "dot",
              "reshape", "ravel", "transpose", "swapaxes", "squeeze", "copy", "repeat", "take",
              "trace", "diagonal", "clip",
              "argmax", "argmin", "argsort", "nonzero", "round", "any", "all", "searchsorted"):
    array_method(_name, getattr(np, _name))
array_method("flatten", np.ravel)
array_method("conj", np.conjugate)
array_method("conjugate", np.conjugate)
array_attribute("real", np.real)
array_attribute("imag", np.imag)
array_method("astype", _astype)
array_attribute("T", np.transpose)
if hasattr(np, "matrix_transpose") or hasattr(np.linalg, "matrix_transpose"):
    array_attribute("mT", getattr(np, "matrix_transpose", None) or np.linalg.matrix_transpose)
