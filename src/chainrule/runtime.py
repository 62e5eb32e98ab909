"""The few helpers generated code and gradient rules call at run time.

They are handed to generated functions through a closure (never written into the user's
module). Scalar code paths avoid them: the transformer only emits ``unbroadcast`` where the
shapes of an operand and the result can differ.
"""

from __future__ import annotations

import math

import numpy as np


_NUMBERS = (float, int, bool)
_FLOAT64 = np.dtype(np.float64)


def unbroadcast(g, x):
    """Sum the cotangent ``g`` back to the shape of ``x``, undoing NumPy broadcasting.

    Handles both axes that broadcasting added in front and axes of size 1 that it stretched.
    A Python-number ``x`` gets a 0-d result (NumPy scalar).
    """
    # Fast paths first: this runs once per broadcasting operation in the reverse sweep.
    x_shape = getattr(x, "shape", None)
    g_shape = getattr(g, "shape", None)
    if x_shape is not None and x_shape == g_shape:
        return g
    if x_shape is None and g_shape is None and type(x) in _NUMBERS:
        return g                                   # Python numbers (and NumPy scalars) both
    shape = np.shape(x)
    g_shape = np.shape(g)
    if g_shape == shape:
        return g
    if len(g_shape) < len(shape):
        # The cotangent of a broadcast result is never smaller than its operand; a smaller
        # one (a scalar seed) stands for the same value everywhere.
        return np.broadcast_to(g, shape)
    extra = len(g_shape) - len(shape)
    if extra:
        g = np.sum(g, axis=tuple(range(extra)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and g.shape[axis] != 1)
    if stretched:
        g = np.sum(g, axis=stretched, keepdims=True)
    return g


def value_now(out):
    """The function's value as it is now: a copy if it is a view of an array the reverse
    sweep may change back (``b[..., 0]`` after stores into ``b``)."""
    if type(out) is np.ndarray and out.base is not None:
        return out.copy()
    return out


def scalar_seed(out, function_name: str):
    """The seed cotangent 1.0 of a scalar result; a clear error for anything else."""
    if type(out) is float or type(out) is int or type(out) is np.float64 or \
            type(out) is np.float32:
        return 1.0
    shape = np.shape(out) if isinstance(out, (np.ndarray, np.generic)) else None
    if shape == ():
        if not np.issubdtype(np.asarray(out).dtype, np.number) or np.iscomplexobj(out):
            raise ValueError(f"grad of {function_name} needs a real scalar output, "
                             f"got {type(out).__name__}")
        return 1.0
    if shape is not None:
        if np.size(out) == 1:
            raise ValueError(
                f"grad of {function_name} needs a scalar output, got an array of shape {shape}; "
                f"index it (e.g. out[0]) or sum it to make the output a scalar")
        raise ValueError(
            f"grad of {function_name} needs a scalar output, got an array of shape {shape}; "
            f"for vector outputs use a vector-Jacobian product (chainrule.vjp, planned), "
            f"or reduce the output (e.g. np.sum) first")
    if out is None:
        raise ValueError(f"grad of {function_name} needs a scalar numeric output, got None "
                         f"(no return value, or a variable only a loop that ran no iteration "
                         f"assigns)")
    raise ValueError(f"grad of {function_name} needs a scalar numeric output, got "
                     f"{type(out).__name__}")


def sign_of(x):
    """``np.sign(x)``, the derivative of ``abs`` (0 at 0); also for booleans, which
    ``np.sign`` refuses: 1.0 where True, 0.0 where False."""
    if type(x) is bool or getattr(x, "dtype", None) is not None and x.dtype.kind == "b":
        return np.asarray(x, dtype=np.float64)
    return np.sign(x)


def power_cotangent(g, a, b):
    """``g * d(a ** b) / da``, the slope being ``b * a ** (b - 1)`` with the limits NumPy,
    PyTorch and JAX give where that formula breaks: 0 where ``b == 0`` (``a ** 0`` is 1
    everywhere, at 0 too), and infinite at ``a == 0`` for ``b < 1`` (where Python's
    ``0.0 ** -0.5`` raises ZeroDivisionError). A constant exponent of at least 1 is inlined
    as the formula instead (``constant_form``)."""
    if (type(a) is float or type(a) is int) and (type(b) is float or type(b) is int):
        if b == 0:
            return g * 0.0
        if a < 0 and b != int(b):
            return g * math.nan                 # no real slope (NumPy's power gives NaN)
        if a != 0 or b >= 1:
            return g * b * a ** (b - 1)
        with np.errstate(divide="ignore"):
            return g * b * float(np.float64(a) ** (b - 1))
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "biu":
        a = a.astype(np.float64)            # NumPy refuses integers to negative powers
    with np.errstate(divide="ignore", invalid="ignore"):
        return g * np.where(b == 0, 0.0, b * a ** (b - 1))


def _power_cotangent_form(exponent):
    """``power_cotangent`` for a constant exponent, as source in its parameters: the plain
    formula for a whole exponent of at least 1 (real and finite everywhere), ``g * 0.0``
    for ``b == 0``, else None (the helper)."""
    if exponent == 0:
        return "g * 0.0"
    return "g * b * a ** (b - 1)" if exponent >= 1 and float(exponent).is_integer() else None


power_cotangent.constant_form = (2, _power_cotangent_form)  # (the constant's position, form)


def log_of_base(x):
    """log(x) for the exponent's cotangent of ``x ** y``: 0 where x == 0 (there the result is 0
    for positive y and the term must vanish), NaN where x < 0 (no real derivative)."""
    if type(x) is float or type(x) is int:
        if x > 0:
            return math.log(x)
        return 0.0 if x == 0 else math.nan
    x = np.asarray(x)
    positive = x > 0
    logs = np.log(np.where(positive, x, 1.0))
    return np.where(positive, logs, np.where(x == 0, 0.0, np.nan))


def _ndim(x) -> int:
    """``np.ndim(x)``, without NumPy's dispatch for arrays (these helpers run per iteration)."""
    ndim = getattr(x, "ndim", None)
    return ndim if ndim is not None else np.ndim(x)


def _as_operands(x, y):
    """``x`` and ``y`` as ``@`` sees them: a list or tuple operand is an array."""
    if type(x) is list or type(x) is tuple:
        x = np.asarray(x)
    if type(y) is list or type(y) is tuple:
        y = np.asarray(y)
    return x, y


def matmul_adjoint_lhs(g, x, y):
    """Cotangent of ``x`` in ``x @ y`` (NumPy's 1-d promotion rules included)."""
    x, y = _as_operands(x, y)
    x_nd, y_nd = _ndim(x), _ndim(y)
    if y_nd == 1 and x_nd == 2 and _ndim(g) == 1:
        return np.multiply.outer(g, y)                # a matrix times a vector: g y^T
    if y_nd == 1:
        if x_nd == 1:
            return g * y
        return unbroadcast(np.multiply.outer(g, y), x)
    if x_nd == 1:
        return unbroadcast(np.matmul(y, g[..., None])[..., 0], x)
    return unbroadcast(np.matmul(g, np.swapaxes(y, -1, -2)), x)


def matmul_adjoint_rhs(g, x, y):
    """Cotangent of ``y`` in ``x @ y``."""
    x, y = _as_operands(x, y)
    x_nd, y_nd = _ndim(x), _ndim(y)
    if y_nd == 1 and x_nd == 2 and _ndim(g) == 1:
        return g @ x                                  # a matrix times a vector: x^T g
    if x_nd == 1:
        if y_nd == 1:
            return g * x
        return unbroadcast(np.multiply.outer(x, g) if _ndim(g) == 1
                           else x[:, None] * g[..., None, :], y)
    if y_nd == 1:
        return unbroadcast(np.matmul(np.swapaxes(x, -1, -2), g[..., None])[..., 0], y)
    return unbroadcast(np.matmul(np.swapaxes(x, -1, -2), g), y)


def summed_matmul_adjoint_lhs(gs, ys, x):
    """The sum of ``matmul_adjoint_lhs(g, x, y)`` over the rows ``g`` of ``gs`` and ``y`` of
    ``ys`` (one per loop iteration). A matrix ``x`` times vectors is the common case (a
    recurrent step ``W @ h``): the outer products add up to one matrix product, ``G^T Y``."""
    return _summed(gs, ys, x, matrix_on_left=True)


def summed_matmul_adjoint_rhs(gs, xs, y):
    """The sum of ``matmul_adjoint_rhs(g, x, y)`` over the rows ``g`` of ``gs`` and ``x`` of
    ``xs``: for vectors times a matrix ``y`` (``h @ W``), ``X^T G``."""
    return _summed(gs, xs, y, matrix_on_left=False)


def stacked_rows(rows: list):
    """``rows`` as one matrix (a row each) if they are vectors of one length, else as they
    are: for rows that several sums after a loop read, made a matrix once."""
    stacked = _as_matrix(rows)
    return rows if stacked is None else stacked


def indexed_rows(array, indices: range):
    """``array[i]`` for every ``i`` of ``indices``, as one array: the rows a loop took from
    ``array``, read back for the sums after its reverse loop. A range of indices on one
    side of zero is a slice (a view, no copy)."""
    if not indices:
        return array[:0]
    first, last = indices[0], indices[-1]
    if (first < 0) == (last < 0):
        if first < 0:
            first, last = first + len(array), last + len(array)
        stop = last + indices.step
        return array[first:stop if stop >= 0 else None:indices.step]
    return array[list(indices)]


def _summed(cotangents, others, matrix, matrix_on_left: bool):
    """The summed adjoint of ``matrix`` over the pairs of rows: one matrix product when the
    rows are vectors (this runs once per loop, so it is kept to few Python calls), else the
    one-term adjoints added one by one to a zero cotangent of ``matrix``."""
    count = len(cotangents)
    if count != len(others):
        raise ValueError(f"internal error: {count} cotangents for {len(others)} values "
                         f"in a summed matrix-product adjoint")
    if count and _ndim(matrix) == 2:
        g_rows = cotangents if type(cotangents) is np.ndarray and cotangents.ndim == 2 and \
            cotangents.dtype != object else _as_matrix(cotangents)
        other_rows = _as_matrix(others)
        if g_rows is not None and other_rows is not None:
            total = g_rows.T @ other_rows if matrix_on_left else other_rows.T @ g_rows
            return _as_sum_from_zero(total, matrix)
    total = zero_cotangent(matrix)
    for g, other in zip(cotangents, others):
        total = total + (matmul_adjoint_lhs(g, matrix, other) if matrix_on_left
                         else matmul_adjoint_rhs(g, other, matrix))
    return total


def _as_sum_from_zero(total, x):
    """``total`` in the dtype of ``zero_cotangent(x) + total`` (what adding the terms one by
    one to a zero cotangent would give), so the generated code may start from the sum."""
    if total.dtype == _FLOAT64 and type(x) is np.ndarray and x.dtype == _FLOAT64:
        return total                               # the common case, decided cheaply
    dtype = np.result_type(total.dtype, _float_dtype(x, 0.0))
    return total if total.dtype == dtype else total.astype(dtype)


def _as_matrix(rows):
    """``rows`` (a list of vectors, or already a matrix of them) as a matrix, or None if they
    are not vectors of one length."""
    if type(rows) is np.ndarray:
        return rows if rows.ndim == 2 and rows.dtype != object else None
    if not rows:
        return None
    try:
        stacked = np.array(rows)
    except ValueError:                             # vectors of different lengths
        return None
    return stacked if stacked.ndim == 2 and stacked.dtype != object else None


def dot_adjoint_lhs(g, x, y):
    """Cotangent of ``x`` in ``np.dot(x, y)``."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(g * y, x)
    if np.ndim(y) <= 2:
        return matmul_adjoint_lhs(g, x, y)
    # N-d dot contracts x's last axis with y's second-to-last.
    y_free = [axis for axis in range(np.ndim(y)) if axis != np.ndim(y) - 2]
    g_axes = list(range(np.ndim(x) - 1, np.ndim(g)))
    return np.tensordot(g, y, axes=(g_axes, y_free))


def dot_adjoint_rhs(g, x, y):
    """Cotangent of ``y`` in ``np.dot(x, y)``."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(g * x, y)
    if np.ndim(y) <= 2:
        return matmul_adjoint_rhs(g, x, y)
    x_lead = list(range(np.ndim(x) - 1))
    g_lead = list(range(np.ndim(x) - 1))
    contracted = np.tensordot(x, g, axes=(x_lead, g_lead))   # (n, *y_lead, k)
    return np.moveaxis(contracted, 0, -2)


def _float_dtype(x, g):
    dtype = np.result_type(np.asarray(x).dtype, np.asarray(g).dtype)
    return dtype if np.issubdtype(dtype, np.inexact) else np.float64


def zero_cotangent(x):
    """A zero cotangent shaped like ``x``: 0.0, a float array, or a container of those."""
    if isinstance(x, (tuple, list)):
        return type(x)(zero_cotangent(item) for item in x)
    if isinstance(x, dict):
        return {key: zero_cotangent(item) for key, item in x.items()}
    if isinstance(x, (np.ndarray, np.generic)):
        return np.zeros(np.shape(x), dtype=_float_dtype(x, 0.0))
    return 0.0


def _is_basic_index(index) -> bool:
    """Whether ``index`` selects a view (integers, slices, None, Ellipsis; not a boolean)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(item is None or item is Ellipsis or (
        isinstance(item, (int, np.integer, slice)) and not isinstance(item, (bool, np.bool_)))
        for item in items)


def index_adjoint(g, x, index):
    """Cotangent of ``x`` for ``x[index]`` with cotangent ``g``: zeros, with ``g`` added at
    ``index`` (repeated fancy indices accumulate)."""
    if isinstance(x, (tuple, list)):
        grads = [zero_cotangent(item) for item in x]
        grads[index] = g
        return tuple(grads) if isinstance(x, tuple) else grads
    if isinstance(x, dict):
        grads = zero_cotangent(x)
        grads[index] = g
        return grads
    z = np.zeros(np.shape(x), dtype=_float_dtype(x, g))
    if _is_basic_index(index):
        z[index] = g
    else:
        np.add.at(z, index, g)
    return z


def accumulate(a, b):
    """``a + b`` for cotangents that may be containers (elementwise) or ``None`` (zero)."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, (tuple, list)):
        return type(a)(accumulate(p, q) for p, q in zip(a, b))
    if isinstance(a, dict):
        return {key: accumulate(a.get(key), b.get(key)) for key in {**a, **b}}
    return a + b


_ABSENT = object()      # a dict key that did not exist before a store


def saved_item(container, index):
    """The value at ``container[index]`` before a store overwrites it (a copy for arrays,
    so the store cannot change it; a marker for a missing dict key)."""
    if isinstance(container, dict):
        return container.get(index, _ABSENT)
    if isinstance(container, np.ndarray):
        return np.copy(container[index])
    return container[index]


def restore_item(container, index, old) -> None:
    """Undo a store (the reverse sweep walks back through the primal's states)."""
    if old is _ABSENT:
        del container[index]
    else:
        container[index] = old


def item_cotangent(g, index, value):
    """The cotangent of the value stored by ``container[index] = value``, from the
    container's cotangent ``g``. Where an index with integer arrays names a position twice
    (``a[[0, 0]]``, ``a[:, [1, 1]]``, ``a[i, j]`` with repeated pairs), only the last write
    stays in the array (as NumPy does it), and only it gets a cotangent."""
    if isinstance(g, (list, tuple, dict)):
        return g[index]
    g = np.asarray(g)                   # a 0-d array's cotangent may be a number
    if _is_basic_index(index):
        # A copy: the loop that owns ``g`` may change it in place next (element_updates.py).
        return unbroadcast(np.array(g[index]), value)
    gathered = g[index]
    kept = _last_writes(index, np.shape(g))
    if kept is not None:
        gathered = gathered * kept
    return unbroadcast(gathered, value)


def _last_writes(index, shape: tuple):
    """For an index with integer arrays (mixed with slices, integers, masks, None or
    Ellipsis, in any axes) that repeats a position: which entries of ``array[index]`` are
    written last (a boolean array of that shape); None when no position repeats."""
    parts = index if isinstance(index, tuple) else (index,)
    if not any(isinstance(part, (list, np.ndarray)) and np.asarray(part).dtype.kind in "iu"
               for part in parts):
        return None                     # slices, integers and masks never repeat a position
    # Each entry's position in the array, taken with the index itself (so NumPy resolves
    # Ellipsis, None, masks, negative indices and where the fancy axes go): the coordinate
    # grids are broadcast views, so this costs the size of the selection, not of the array.
    ndim = len(shape)
    coordinates = tuple(
        np.broadcast_to(np.arange(size).reshape((size,) + (1,) * (ndim - 1 - axis)),
                        shape)[index]
        for axis, size in enumerate(shape))
    if not coordinates or coordinates[0].size == 0:
        return None
    flat = np.ravel_multi_index(coordinates, shape).ravel()
    _, from_end = np.unique(flat[::-1], return_index=True)
    if len(from_end) == flat.size:
        return None
    kept = np.zeros(flat.size, dtype=bool)
    kept[flat.size - 1 - from_end] = True
    return kept.reshape(coordinates[0].shape)


def own_cotangent(g):
    """A private, writable floating copy of an array cotangent, for a loop that then updates
    it in place (``zeroed_at``, ``added_at``); a container's is left as it is (those two
    then copy, as ``without_item`` and ``accumulate`` do)."""
    return np.array(g, dtype=_float_dtype(g, 0.0)) if type(g) is np.ndarray else g


def zeroed_at(g, index):
    """``without_item(g, index)``, in place on an array cotangent the loop owns."""
    if type(g) is not np.ndarray:
        return without_item(g, index)
    g[index] = 0.0
    return g


def added_at(g, index, value, x):
    """``accumulate(g, index_adjoint(value, x, index))``, in place on an array cotangent the
    loop owns (repeated fancy indices accumulate)."""
    if type(g) is not np.ndarray:
        return accumulate(g, index_adjoint(value, x, index))
    if _is_basic_index(index):
        g[index] += value
    else:
        np.add.at(g, index, value)
    return g


def stored_cotangent(container, cotangent):
    """The cotangent of a value stored into ``container``: none when the container is an
    integer or boolean array (the stored value was truncated), else ``cotangent``."""
    dtype = getattr(container, "dtype", None)
    if dtype is None or dtype.kind in "fc":
        return cotangent
    return zero_cotangent(cotangent)


def cast_cotangent(g, dtype):
    """The cotangent ``g`` of a result made with ``dtype=dtype``: none for an integer or
    boolean dtype (the values are truncated)."""
    if np.issubdtype(np.dtype(dtype), np.inexact):
        return g
    return zero_cotangent(g)


def without_item(g, index):
    """A copy of the container cotangent ``g`` with a zero at ``index`` (the slot a store
    overwrote had no influence on the result)."""
    if isinstance(g, dict):
        grads = dict(g)
        grads[index] = zero_cotangent(g[index])
        return grads
    if isinstance(g, (list, tuple)):
        grads = list(g)
        grads[index] = zero_cotangent(g[index])
        return type(g)(grads)
    grads = np.array(g, dtype=_float_dtype(g, 0.0))
    grads[index] = 0.0
    return grads


# ----------------------------------------------------------------------------------------------
# Helpers of the NumPy rules (rules/numpy.py): the per-shape logic that does not inline cleanly.
# None of them mutates its arguments.

def _reduced_axes(axis, ndim):
    """The sorted, non-negative axes a reduction with ``axis`` removes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(int(a) % ndim for a in axis))
    return (int(axis) % ndim,)


def _expand_reduced(g, axis, keepdims, ndim):
    """A reduction's cotangent with the reduced axes put back as size 1 (broadcasts against the
    input)."""
    if keepdims or ndim == 0:
        return g
    return np.expand_dims(g, _reduced_axes(axis, ndim))


def _safe_divide(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (subgradient at a kink)."""
    zero = denominator == 0
    return np.where(zero, 0.0, numerator / np.where(zero, 1.0, denominator))


divide_or_zero = _safe_divide      # for rule bodies (std, hypot): 0 where a result is 0


def index_grid(x):
    """Each element's flat position, as an integer array of ``x``'s shape. Running a pure
    "gather" operation (take, repeat, tile, pad, diagonal, ...) on it tells where each result
    element came from, which is all its adjoint needs (see :func:`scatter_add`)."""
    return np.arange(np.size(x)).reshape(np.shape(x))


def scatter_add(g, x, positions):
    """Adjoint of a gather: add the cotangent entries ``g`` into a zero array of ``x``'s shape at
    the flat ``positions`` (repeated positions accumulate; negative ones are padding and are
    dropped)."""
    positions = np.asarray(positions)
    g = np.broadcast_to(g, positions.shape).ravel()
    positions = positions.ravel()
    keep = positions >= 0
    size = np.size(x)
    dtype = g.dtype if np.issubdtype(g.dtype, np.inexact) else np.float64
    if np.iscomplexobj(g):
        flat = np.zeros(size, dtype=dtype)
        np.add.at(flat, positions[keep], g[keep])
    else:
        flat = np.bincount(positions[keep], weights=g[keep], minlength=size).astype(dtype)
    return flat.reshape(np.shape(x))


def restructure(g, like, dtype=None):
    """The cotangent ``g`` (an array) in the nested list/tuple structure of ``like``: the
    adjoint of ``np.array(like, dtype)``. Python numbers get Python floats; a cast to an
    integer or boolean ``dtype`` has a zero gradient."""
    if dtype is not None and not np.issubdtype(np.dtype(dtype), np.inexact):
        g = np.zeros(np.shape(g))
    if isinstance(like, (list, tuple)):
        parts = [restructure(g[i], item) for i, item in enumerate(like)]
        return parts if isinstance(like, list) else tuple(parts)
    if isinstance(like, (float, int)) and not isinstance(like, bool):
        return float(g)
    return np.reshape(g, np.shape(like))


def astype_backward(g, x, dtype):
    """Cotangent of ``x.astype(dtype)``: zero for a cast to integers or booleans (piecewise
    constant), otherwise ``g`` cast back to ``x``'s floating type."""
    x_type = np.result_type(x)
    if not np.issubdtype(np.dtype(dtype), np.inexact):
        return np.zeros(np.shape(x), dtype=x_type if np.issubdtype(x_type, np.inexact) else float)
    if np.issubdtype(x_type, np.inexact):
        return np.asarray(g).astype(x_type, copy=False)
    return g


def astype(x, dtype, copy=True):
    """``np.astype`` for NumPy versions before 2.1 (the target of the ``.astype`` method)."""
    return np.asarray(x).astype(dtype, copy=copy)


def prod_backward(g, a, axis=None, keepdims=False):
    """Cotangent of ``np.prod``: each element gets the product of the others in its slice,
    computed with prefix and suffix products (no division, so zeros are exact)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return g * np.ones_like(a)
    axes = _reduced_axes(axis, a.ndim)
    g = _expand_reduced(g, axis, keepdims, a.ndim)
    last = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, last)
    flat = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
    ones = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = np.moveaxis((left * right).reshape(moved.shape), last, axes)
    return g * others


def cumprod_backward(g, a, out, axis=None):
    """Cotangent of ``np.cumprod``, exact where ``a`` has zeros."""
    a = np.asarray(a)
    if axis is None:
        return cumprod_backward(g, a.ravel(), out, 0).reshape(a.shape)
    axis = int(axis) % a.ndim
    if not np.any(a == 0):
        return np.flip(np.cumsum(np.flip(g * out, axis), axis), axis) / a
    # S_i = g_i + a_{i+1} S_{i+1};  a_bar_i = (prod_{j<i} a_j) S_i
    a_m = np.moveaxis(a, axis, 0)
    g_m = np.moveaxis(np.broadcast_to(g, np.shape(out)), axis, 0)
    s = [g_m[-1]]
    for i in range(a_m.shape[0] - 2, -1, -1):
        s.append(g_m[i] + a_m[i + 1] * s[-1])
    s = np.stack(s[::-1])
    left = np.cumprod(np.concatenate([np.ones_like(a_m[:1]), a_m[:-1]]), axis=0)
    return np.moveaxis(left * s, 0, axis)


def extremum_backward(g, out, a, axis=None, keepdims=False):
    """Cotangent of a max/min reduction: ties in a slice split the cotangent evenly (NaNs of
    ``a`` are ignored, as in ``np.nanmax``)."""
    ndim = np.ndim(a)
    g = _expand_reduced(g, axis, keepdims, ndim)
    mask = a == _expand_reduced(out, axis, keepdims, ndim)
    return g * mask / np.sum(mask, axis=None if ndim == 0 else _reduced_axes(axis, ndim),
                             keepdims=True)


def nanmean_backward(g, a, axis=None, keepdims=False):
    """Cotangent of ``np.nanmean``: the mean of the non-NaN entries of each slice."""
    ndim = np.ndim(a)
    present = ~np.isnan(a)
    count = np.sum(present, axis=None if ndim == 0 else _reduced_axes(axis, ndim), keepdims=True)
    return _expand_reduced(g, axis, keepdims, ndim) * present / count


def median_backward(g, a, axis=None, keepdims=False):
    """Cotangent of ``np.median``: the middle element of each sorted slice (the two middle
    ones, half each, for an even length)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return g * np.ones_like(a, dtype=float)
    axes = _reduced_axes(axis, a.ndim)
    g = _expand_reduced(g, axis, keepdims, a.ndim)
    last = tuple(range(a.ndim - len(axes), a.ndim))
    grid = np.moveaxis(index_grid(a), axes, last)
    grid = grid.reshape(grid.shape[:a.ndim - len(axes)] + (-1,))
    values = np.moveaxis(a, axes, last).reshape(grid.shape)
    order = np.argsort(values, axis=-1, kind="stable")
    n = values.shape[-1]
    middle = np.take_along_axis(grid, order[..., [(n - 1) // 2, n // 2]], axis=-1)
    kept = [1 if i in axes else size for i, size in enumerate(a.shape)]
    g = np.moveaxis(np.broadcast_to(g, kept), axes, last)
    g = g.reshape(g.shape[:a.ndim - len(axes)] + (1,))
    return scatter_add(0.5 * g, a, middle)


def average_backward(out_bar, a, axis=None, weights=None, returned=False, keepdims=False):
    """Cotangents ``(a_bar, weights_bar)`` of ``np.average`` (``weights_bar`` is None without
    weights). With ``returned=True`` the cotangent is a pair ``(avg_bar, sum_of_weights_bar)``
    whose entries may be None."""
    g, g_total = (out_bar[0], out_bar[1]) if returned else (out_bar, None)
    a = np.asarray(a)
    ndim = a.ndim
    w = np.ones(a.shape) if weights is None else np.asarray(weights)
    w_axis = None
    if w.shape != a.shape:             # 1-d weights along ``axis``
        w_axis = int(axis) % ndim
        shape = [1] * ndim
        shape[w_axis] = w.shape[0]
        w = w.reshape(shape)
    w = np.broadcast_to(w, a.shape)
    axes = None if ndim == 0 else _reduced_axes(axis, ndim)
    total = np.sum(w, axis=axes, keepdims=True)
    mean = np.sum(a * w, axis=axes, keepdims=True) / total
    g = 0.0 if g is None else _expand_reduced(g, axis, keepdims, ndim)
    a_bar = np.broadcast_to(g * w / total, a.shape)
    if weights is None:
        return a_bar, None
    w_bar = g * (a - mean) / total
    if g_total is not None:
        w_bar = w_bar + _expand_reduced(g_total, axis, keepdims, ndim)
    w_bar = np.broadcast_to(w_bar, a.shape)
    if w_axis is not None:
        w_bar = np.sum(w_bar, axis=tuple(i for i in range(ndim) if i != w_axis))
    return a_bar, np.reshape(w_bar, np.shape(weights))


def norm_backward(g, out, x, ord=None, axis=None, keepdims=False):
    """Cotangent of ``np.linalg.norm``. Conventions: the gradient of every norm where it is 0
    is 0 (a p-norm with p < 1 also gives 0 at each zero element); ties in inf/1-norms split
    evenly; the spectral norms (ord=2/-2) assume a simple extreme singular value."""
    x = np.asarray(x)
    ndim = x.ndim
    if axis is None and (ord is None or (ord in ("fro", "f") and ndim == 2)
                         or (ord == 2 and ndim == 1)):
        gk = _expand_reduced(g, None, keepdims, ndim)
        return gk * _safe_divide(x, _expand_reduced(out, None, keepdims, ndim))
    if axis is None:
        axis = tuple(range(ndim))
    axes = _reduced_axes(axis, ndim)
    gk = _expand_reduced(g, axis, keepdims, ndim)
    ok = _expand_reduced(out, axis, keepdims, ndim)
    absx = np.abs(x)
    if len(axes) == 1:
        if ord is None or ord == 2:
            return gk * _safe_divide(x, ok)
        if ord == 0:
            return np.zeros(x.shape, dtype=np.result_type(x, float))
        if ord == 1:
            return gk * np.sign(x)
        if ord in (np.inf, -np.inf):
            mask = absx == ok
            return gk * np.sign(x) * mask / np.sum(mask, axis=axes, keepdims=True)
        # (sum |x|^p)^(1/p): |x|^(p-1) is infinite at a zero element for p < 1, and the
        # norm may be 0; both get the subgradient 0 (as abs does at 0).
        p = float(ord)
        nonzero = absx != 0
        term = np.where(nonzero, np.sign(x) * np.where(nonzero, absx, 1.0) ** (p - 1), 0.0)
        scale = np.where(ok == 0, 0.0, 1.0 / np.where(ok == 0, 1.0, ok) ** (p - 1))
        return gk * term * scale
    row, col = (int(a) % ndim for a in axis)
    if ord is None or ord in ("fro", "f"):
        return gk * _safe_divide(x, ok)
    if ord in (1, -1, np.inf, -np.inf):
        summed = col if ord in (np.inf, -np.inf) else row   # inf: max row sum; 1: max column sum
        sums = np.sum(absx, axis=summed, keepdims=True)
        mask = sums == ok
        share = mask / np.sum(mask, axis=axes, keepdims=True)
        return gk * np.sign(x) * share
    moved = np.moveaxis(x, (row, col), (-2, -1))
    u, s, vh = np.linalg.svd(moved, full_matrices=False)
    if ord == "nuc":
        d = np.matmul(u, vh)
    else:
        pick = slice(0, 1) if ord == 2 else slice(-1, None)   # largest or smallest
        d = u[..., :, pick] * vh[..., pick, :]
    # At a zero norm the singular vectors are arbitrary: the subgradient 0, as elsewhere.
    return np.where(ok == 0, 0.0, gk * np.moveaxis(d, (-2, -1), (row, col)))


def cumulative_backward(g, x, axis=None, include_initial=False, product=False, out=None):
    """Cotangent of ``np.cumulative_sum`` / ``np.cumulative_prod`` (NumPy 2.1+)."""
    axis = 0 if axis is None else axis
    if include_initial:
        g = np.delete(g, 0, axis=axis)
        if out is not None:
            out = np.delete(out, 0, axis=axis)
    if product:
        return cumprod_backward(g, x, out, axis)
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def concatenate_backward(g, arrays, axis=0):
    """Cotangents of the pieces of ``np.concatenate(arrays, axis)``, as a list."""
    shapes = [np.shape(x) for x in arrays]
    if axis is None:
        sizes = [int(np.prod(s)) for s in shapes]
        pieces = np.split(np.ravel(g), np.cumsum(sizes)[:-1])
    else:
        sizes = [s[axis] for s in shapes]
        pieces = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    return [np.reshape(p, s) for p, s in zip(pieces, shapes)]


def unstack(g, arrays, axis=0):
    """Cotangents of the pieces of ``np.stack(arrays, axis)``, as a list."""
    return [np.reshape(p, np.shape(x)) for p, x in zip(np.moveaxis(g, axis, 0), arrays)]


def _split_like(g, arrays, promote, axis):
    promoted = [promote(x) for x in arrays]
    pieces = concatenate_backward(g, promoted, axis)
    return [np.reshape(p, np.shape(x)) for p, x in zip(pieces, arrays)]


def hstack_backward(g, tup):
    """Cotangents of the pieces of ``np.hstack(tup)``."""
    axis = 0 if np.ndim(np.atleast_1d(tup[0])) == 1 else 1
    return _split_like(g, tup, np.atleast_1d, axis)


def vstack_backward(g, tup):
    """Cotangents of the pieces of ``np.vstack(tup)``."""
    return _split_like(g, tup, np.atleast_2d, 0)


def dstack_backward(g, tup):
    """Cotangents of the pieces of ``np.dstack(tup)``."""
    return _split_like(g, tup, np.atleast_3d, 2)


def column_stack_backward(g, tup):
    """Cotangents of the pieces of ``np.column_stack(tup)``."""
    def column(x):
        x = np.asarray(x)
        return x.reshape(-1, 1) if x.ndim < 2 else x
    return _split_like(g, tup, column, 1)


def concatenator_backward(g, concatenator, key):
    """Cotangents of the parts of ``np.r_[key]`` or ``np.c_[key]`` (``concatenator``): each
    part's slice of ``g`` along the joining axis, in the part's shape; a tuple of them when
    ``key`` is a tuple of parts, else the one part's. A range written as a slice gets None."""
    parts = key if isinstance(key, tuple) else (key,)
    if parts and isinstance(parts[0], str):
        raise ValueError(f"chainrule does not differentiate np.r_/np.c_ with the directive "
                         f"{parts[0]!r}; join the arrays with np.concatenate or np.stack")
    g = np.asarray(g)
    axis = concatenator.axis % g.ndim
    grads, start = [], 0
    for part in parts:
        # The part alone, as the concatenator makes it (a scalar or a 1-D array grows to its
        # minimum number of dimensions, np.c_ turns a 1-D array into a column).
        size = np.shape(concatenator[part, ])[axis]
        if isinstance(part, slice):
            grads.append(None)
        else:
            piece = g[(slice(None),) * axis + (slice(start, start + size),)]
            grads.append(restructure(np.array(piece).reshape(np.shape(part)), part))
        start += size
    return tuple(grads) if isinstance(key, tuple) else grads[0]


def split_backward(out_bar, out, axis=0):
    """Cotangent of the array that ``np.split`` and friends cut into ``out``; entries of
    ``out_bar`` that are None stand for zeros."""
    pieces = [np.zeros(np.shape(o), dtype=np.result_type(o, float)) if gb is None
              else np.broadcast_to(gb, np.shape(o)) for gb, o in zip(out_bar, out)]
    return np.concatenate(pieces, axis=axis)


def append_backward(g, arr, values, axis=None):
    """Cotangents ``[arr_bar, values_bar]`` of ``np.append``."""
    if axis is None:
        return concatenate_backward(g, [arr, values], None)
    return concatenate_backward(g, [arr, values], axis)


def sort_backward(g, a, axis=-1):
    """Cotangent of ``np.sort``: the cotangent goes back to where each sorted element came
    from."""
    if axis is None:
        positions = np.argsort(np.ravel(a), kind="stable")
    else:
        positions = np.take_along_axis(index_grid(a), np.argsort(a, axis=axis, kind="stable"),
                                       axis=axis)
    return scatter_add(g, a, positions)


def diff_backward(g, a, n=1, axis=-1):
    """Cotangent of ``np.diff(a, n, axis)`` (adjoint of a first difference, ``n`` times)."""
    for _ in range(n):
        shape = list(np.shape(g))
        shape[axis] = 1
        zero = np.zeros(shape, dtype=np.result_type(g, float))
        g = np.concatenate([zero, g], axis=axis) - np.concatenate([g, zero], axis=axis)
    return np.reshape(g, np.shape(a))


def pad_backward(g, array, pad_width, mode="constant", constant_values=0):
    """Cotangents ``[array_bar, constant_values_bar]`` of ``np.pad`` for the modes that copy
    values (constant, edge, reflect, symmetric, wrap, empty)."""
    grid = index_grid(array)
    ndim = grid.ndim
    if mode == "constant":
        codes = -1 - np.arange(2 * ndim).reshape(ndim, 2)
        positions = np.pad(grid, pad_width, mode="constant", constant_values=codes)
        padded = positions < 0
        totals = np.bincount(-1 - positions[padded], weights=np.broadcast_to(
            g, positions.shape)[padded], minlength=2 * ndim).reshape(ndim, 2)
        return [scatter_add(g, array, positions), unbroadcast(totals, constant_values)]
    if mode == "empty":
        positions = np.pad(grid, pad_width, mode="constant", constant_values=-1)
    elif mode in ("edge", "reflect", "symmetric", "wrap"):
        positions = np.pad(grid, pad_width, mode=mode)
    else:
        raise NotImplementedError(f"no gradient for np.pad with mode={mode!r}; supported: "
                                  "constant, edge, reflect, symmetric, wrap, empty")
    return [scatter_add(g, array, positions), None]


def diag_backward(g, v, k=0):
    """Cotangent of ``np.diag(v, k)``: build (1-d v) or extract (2-d v) a diagonal."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k).copy()
    return scatter_add(g, v, np.diag(index_grid(v), k))


def kron_backward(g, a, b):
    """Cotangents ``[a_bar, b_bar]`` of ``np.kron(a, b)``."""
    a = np.asarray(a)
    b = np.asarray(b)
    ndim = max(a.ndim, b.ndim)
    sa = (1,) * (ndim - a.ndim) + a.shape
    sb = (1,) * (ndim - b.ndim) + b.shape
    g4 = np.reshape(g, [n for pair in zip(sa, sb) for n in pair])
    a_idx = list(range(0, 2 * ndim, 2))
    b_idx = list(range(1, 2 * ndim, 2))
    g_idx = list(range(2 * ndim))
    a_bar = np.einsum(g4, g_idx, b.reshape(sb), b_idx, a_idx)
    b_bar = np.einsum(g4, g_idx, a.reshape(sa), a_idx, b_idx)
    return [a_bar.reshape(a.shape), b_bar.reshape(b.shape)]


def tensordot_backward(g, a, b, axes=2):
    """Cotangents ``[a_bar, b_bar]`` of ``np.tensordot(a, b, axes)``."""
    a = np.asarray(a)
    b = np.asarray(b)
    if isinstance(axes, (int, np.integer)):
        a_axes = list(range(a.ndim - axes, a.ndim))
        b_axes = list(range(axes))
    else:
        a_axes, b_axes = axes
        a_axes = [int(i) % a.ndim for i in np.atleast_1d(a_axes)]
        b_axes = [int(i) % b.ndim for i in np.atleast_1d(b_axes)]
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [i for i in range(b.ndim) if i not in b_axes]
    g = np.asarray(g)
    a_bar = np.tensordot(g, b, axes=(list(range(len(a_free), g.ndim)), b_free))
    source = a_free + [a_axes[b_axes.index(j)] for j in sorted(b_axes)]
    a_bar = np.transpose(a_bar, np.argsort(source))
    b_bar = np.tensordot(a, g, axes=(a_free, list(range(len(a_free)))))
    source = [b_axes[a_axes.index(i)] for i in sorted(a_axes)] + b_free
    b_bar = np.transpose(b_bar, np.argsort(source))
    return [a_bar, b_bar]


def inner_backward(g, a, b):
    """Cotangents ``[a_bar, b_bar]`` of ``np.inner(a, b)``."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return [unbroadcast(g * b, a), unbroadcast(g * a, b)]
    return tensordot_backward(g, a, b, ([np.ndim(a) - 1], [np.ndim(b) - 1]))


def _einsum_parse(subscripts, operands):
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"einsum subscripts {subscripts!r} name {len(inputs)} operands, "
                         f"got {len(operands)}")
    used = set(subscripts)
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    ranks = [np.ndim(x) - (len(s) - 3) for s, x in zip(inputs, operands) if "..." in s]
    ellipsis = "".join(spare[:max(ranks, default=0)])
    letters = "".join(s.replace("...", "") for s in inputs)
    expanded = [s.replace("...", ellipsis[len(ellipsis) - (np.ndim(x) - (len(s) - 3)):])
                for s, x in zip(inputs, operands)]
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        output = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return expanded, output, spare[len(ellipsis):]


def einsum_backward(g, subscripts, *operands):
    """Cotangents of the operands of ``np.einsum(subscripts, *operands)`` (explicit or
    implicit output, ``...``, repeated labels, labels summed inside one operand, size-1
    broadcasting); a list with None for operands that are None."""
    present = [x for x in operands if x is not None]
    inputs, output, spare = _einsum_parse(subscripts, present)
    grads = []
    for k, (s, x) in enumerate(zip(inputs, present)):
        shape = np.shape(x)
        others = [(t, y) for j, (t, y) in enumerate(zip(inputs, present)) if j != k]
        available = set(output).union(*[set(t) for t, _ in others])
        unique = "".join(dict.fromkeys(s))
        keep = "".join(c for c in unique if c in available)
        spec = ",".join([output] + [t for t, _ in others]) + "->" + keep
        part = np.einsum(spec, g, *[y for _, y in others])
        sizes = {c: shape[s.index(c)] for c in unique}
        # labels summed inside this operand only: the gradient is constant along them
        part = np.reshape(part, [part.shape[keep.index(c)] if c in keep else 1 for c in unique])
        stretched = tuple(i for i, c in enumerate(unique) if sizes[c] == 1 and part.shape[i] != 1)
        if stretched:
            part = np.sum(part, axis=stretched, keepdims=True)
        part = np.broadcast_to(part, [sizes[c] for c in unique])
        if len(unique) < len(s):   # repeated labels: the gradient lives on a diagonal
            renamed, eyes, fresh, seen = [], [], iter(spare), set()
            for c in s:
                if c in seen:
                    new = next(fresh)
                    eyes.append((c + new, np.eye(sizes[c])))
                    renamed.append(new)
                else:
                    seen.add(c)
                    renamed.append(c)
            spec = ",".join([unique] + [e for e, _ in eyes]) + "->" + "".join(renamed)
            part = np.einsum(spec, part, *[m for _, m in eyes])
        grads.append(np.array(part))
    result = iter(grads)
    return [None if x is None else next(result) for x in operands]


def cross_backward(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cotangents ``[a_bar, b_bar]`` of ``np.cross`` for 3-vectors."""
    if axis is not None:
        axisa = axisb = axisc = axis
    g = np.moveaxis(g, axisc, -1)
    a_last = np.moveaxis(a, axisa, -1)
    b_last = np.moveaxis(b, axisb, -1)
    a_bar = np.moveaxis(unbroadcast(np.cross(b_last, g), a_last), -1, axisa)
    b_bar = np.moveaxis(unbroadcast(np.cross(g, a_last), b_last), -1, axisb)
    return [a_bar, b_bar]


def convolve_backward(g, a, v, mode="full"):
    """Cotangents ``[a_bar, v_bar]`` of ``np.convolve(a, v, mode)`` (real 1-d inputs)."""
    la, lv = np.size(a), np.size(v)
    if mode == "full":
        start = 0
    elif mode == "same":
        start = (min(la, lv) - 1) // 2
    else:
        start = min(la, lv) - 1
    full = np.zeros(la + lv - 1, dtype=np.result_type(g, float))
    full[start:start + np.size(g)] = g
    a_bar = np.correlate(full, np.ravel(v), "valid")
    v_bar = np.correlate(full, np.ravel(a), "valid")
    return [np.reshape(a_bar, np.shape(a)), np.reshape(v_bar, np.shape(v))]


def arange_backward(g, out, stop=None):
    """Cotangents of ``start`` and ``step`` in ``out = np.arange(start, stop, step)``, whose
    values are ``start + k * step``: none with one argument (a count) or for an integer
    result (the values are truncated)."""
    if stop is None or not np.issubdtype(np.asarray(out).dtype, np.inexact):
        return 0.0, 0.0
    g = np.asarray(g)
    return float(np.sum(g)), float(np.sum(g * np.arange(g.size).reshape(g.shape)))


def linspace_backward(out_bar, start, stop, num=50, endpoint=True, retstep=False, axis=0):
    """Cotangents ``[start_bar, stop_bar]`` of ``np.linspace``."""
    g, g_step = (out_bar[0], out_bar[1]) if retstep else (out_bar, None)
    div = (num - 1) if endpoint else num
    t = np.arange(num) / div if div > 0 else np.zeros(num)
    shape = np.broadcast_shapes(np.shape(start), np.shape(stop))
    ndim = len(shape) + 1
    axis = axis % ndim
    t = np.reshape(t, [num if i == axis else 1 for i in range(ndim)])
    if g is None:
        g_start = g_stop = np.zeros(shape)
    else:
        g_start = np.sum(g * (1.0 - t), axis=axis)
        g_stop = np.sum(g * t, axis=axis)
    if g_step is not None and div > 0:
        g_start = g_start - g_step / div
        g_stop = g_stop + g_step / div
    return [unbroadcast(g_start, start), unbroadcast(g_stop, stop)]


def det_backward(g, out, a):
    """Cotangent of ``np.linalg.det`` (needs an invertible matrix)."""
    return np.expand_dims(g * out, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)


def slogdet_backward(out_bar, a):
    """Cotangent of ``np.linalg.slogdet``; only the log-determinant carries a gradient (the
    sign is piecewise constant), and a None entry stands for zero."""
    g = out_bar[1]
    if g is None:
        return np.zeros(np.shape(a), dtype=np.result_type(a, float))
    return np.expand_dims(g, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)


def solve_backward(g, out, a, b):
    """Cotangents ``[a_bar, b_bar]`` of ``np.linalg.solve(a, b)``, vector or matrix ``b``."""
    a_t = np.swapaxes(a, -1, -2)
    if np.ndim(out) == np.ndim(a) - 1:        # b is a (stack of) vector(s)
        b_bar = np.linalg.solve(a_t, np.asarray(g)[..., None])[..., 0]
        a_bar = -b_bar[..., :, None] * np.asarray(out)[..., None, :]
    else:
        b_bar = np.linalg.solve(a_t, g)
        a_bar = -np.matmul(b_bar, np.swapaxes(out, -1, -2))
    return [unbroadcast(a_bar, a), unbroadcast(b_bar, b)]


def _symmetrize(m):
    return 0.5 * (m + np.swapaxes(m, -1, -2))


def cholesky_backward(g, out, upper=False):
    """Cotangent of ``np.linalg.cholesky``, symmetrized (the input is a symmetric matrix)."""
    lower = np.swapaxes(out, -1, -2) if upper else out
    g = np.swapaxes(g, -1, -2) if upper else g
    n = lower.shape[-1]
    phi = np.tril(np.matmul(np.swapaxes(lower, -1, -2), g)) * (1.0 - 0.5 * np.eye(n))
    lower_t = np.swapaxes(lower, -1, -2)
    x = np.linalg.solve(lower_t, phi)                                    # L^-T P
    s = np.swapaxes(np.linalg.solve(lower_t, np.swapaxes(x, -1, -2)), -1, -2)  # L^-T P L^-1
    return _symmetrize(s)


def eigh_backward(out_bar, out):
    """Cotangent of ``np.linalg.eigh``, symmetrized; exact for distinct eigenvalues (the
    eigenvectors of a repeated one get no gradient within its subspace). Entries of
    ``out_bar`` that are None stand for zeros."""
    w, v = out
    w_bar, v_bar = out_bar
    n = np.shape(w)[-1]
    eye = np.eye(n)
    v_t = np.swapaxes(v, -1, -2)
    middle = np.zeros(np.shape(v), dtype=np.result_type(v, float))
    if w_bar is not None:
        middle = middle + np.asarray(w_bar)[..., None, :] * eye
    if v_bar is not None:     # (0 between equal eigenvalues: the convention of svd)
        middle = middle + np.matmul(v_t, v_bar) * _inverse_gaps(np.asarray(w))
    return _symmetrize(np.matmul(np.matmul(v, middle), v_t))


def eigvalsh_backward(g, a, UPLO="L"):
    """Cotangent of ``np.linalg.eigvalsh``, symmetrized; assumes distinct eigenvalues."""
    return eigh_backward((g, None), np.linalg.eigh(a, UPLO))


def spread_over(g, items):
    """The cotangent of each item of a sum: ``g`` for every element of a list or tuple (a
    list of cotangents), or ``g`` broadcast over the first axis of an array."""
    if isinstance(items, (list, tuple)):
        return type(items)(unbroadcast(g, item) for item in items)
    return np.broadcast_to(g, np.shape(items))


# ----------------------------------------------------------------------------------------------
# Helpers of the rules of issue 12's coverage: list/tuple/dict, einsum's sublist form, svd,
# eig, pinv, partition, select, gradient.

def _zero_if_none(g, like):
    return zero_cotangent(like) if g is None else g


def einsum_arguments_backward(g, first, *rest):
    """Cotangents of every positional argument of ``np.einsum``: the subscripts form
    ``(subscripts, *operands)`` (None for the subscripts) or the sublist form
    ``(a, [0, 1], b, [1, 2], [0, 2])`` (None for the sublists), which is rewritten as the
    subscripts form (``...`` for an Ellipsis)."""
    rest = list(rest)
    while rest and rest[-1] is None:
        rest.pop()
    if isinstance(first, str):
        grads = [None] + einsum_backward(g, first, *rest)
        return grads + [None] * (5 - len(grads))
    arguments = [first] + rest
    output = arguments.pop() if len(arguments) % 2 else None
    operands = arguments[0::2]
    sublists = arguments[1::2]
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def text(sublist):
        return "".join("..." if label is Ellipsis else letters[int(label)] for label in sublist)

    subscripts = ",".join(text(sublist) for sublist in sublists)
    if output is not None:
        subscripts += "->" + text(output)
    grads = einsum_backward(g, subscripts, *operands)
    result = [None] * 5
    result[0:2 * len(grads):2] = grads
    return result


def _t(m):
    return np.swapaxes(m, -1, -2)


def _inverse_gaps(values):
    """F[i, j] = 1 / (values[j] - values[i]), and 0 on the diagonal and wherever two values
    are equal (the convention at a repeated value: no rotation inside its subspace)."""
    gaps = values[..., None, :] - values[..., :, None]
    return _safe_divide(1.0, gaps)


def _real_spectrum(out, name):
    for part in out if isinstance(out, tuple) else (out,):
        if np.iscomplexobj(part):
            raise ValueError(
                f"{name} gave complex eigenvalues; chainrule differentiates it only where the "
                f"spectrum is real (for a symmetric matrix use np.linalg.eigh)")


def eig_backward(out_bar, out):
    """Cotangent of ``np.linalg.eig`` of a real matrix with a real spectrum (ValueError
    otherwise); entries of ``out_bar`` that are None stand for zeros. Eigenvectors have unit
    length (as LAPACK returns them)."""
    _real_spectrum(tuple(out), "np.linalg.eig")
    w, v = out
    w_bar, v_bar = out_bar
    v_t = _t(v)
    inner = np.zeros(np.shape(v), dtype=np.result_type(v, float))
    if w_bar is not None:
        inner = inner + np.asarray(w_bar)[..., None, :] * np.eye(np.shape(w)[-1])
    if v_bar is not None:
        f = _inverse_gaps(w)
        projected = np.matmul(v_t, v_bar)
        unit = np.matmul(np.matmul(v_t, v), np.diagonal(projected, 0, -2, -1)[..., None]
                         * np.eye(np.shape(w)[-1]))
        inner = inner + f * projected - f * unit
    return np.linalg.solve(v_t, np.matmul(inner, v_t))


def eigvals_backward(g, a, out):
    """Cotangent of ``np.linalg.eigvals`` (a real spectrum, as ``eig_backward``)."""
    _real_spectrum(out, "np.linalg.eigvals")
    return eig_backward((g, None), tuple(np.linalg.eig(a)))


def svd_backward(out_bar, out, a, full_matrices=True, compute_uv=True, hermitian=False):
    """Cotangent of ``np.linalg.svd`` (Townsend's formula, for real matrices). Conventions:
    at a repeated singular value the singular vectors have no gradient within their
    subspace (the terms with equal values are 0); the extra columns ``full_matrices=True``
    adds for a non-square matrix are not unique, so a cotangent on them is refused."""
    a = np.asarray(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    if compute_uv:      # the primal's own vectors (their signs are a choice)
        u, s, vh = out[0][..., :, :k], out[1], out[2][..., :k, :]
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
    if compute_uv:
        u_bar, s_bar, vh_bar = out_bar
    else:
        u_bar, s_bar, vh_bar = None, out_bar, None
    for bar, size in ((u_bar, (-1, m)), (vh_bar, (-2, n))):
        if bar is not None and np.shape(bar)[size[0]] > k and np.any(
                np.take(bar, range(k, np.shape(bar)[size[0]]), axis=size[0])):
            raise ValueError("np.linalg.svd(full_matrices=True) of a non-square matrix: the "
                             "extra singular vectors are not unique and have no gradient; "
                             "use full_matrices=False")
    v = _t(vh)
    inner = np.zeros(s.shape[:-1] + (k, k), dtype=np.result_type(a, float))
    if s_bar is not None:
        inner = inner + np.asarray(s_bar)[..., None, :] * np.eye(k)
    grad = 0.0
    f = _inverse_gaps(s * s)
    s_inverse = _safe_divide(1.0, s)
    if u_bar is not None:
        u_bar = np.asarray(u_bar)[..., :, :k]
        j = f * np.matmul(_t(u), u_bar)
        inner = inner + np.matmul(j + _t(j), s[..., None] * np.eye(k))
        if m > k:
            rest = u_bar - np.matmul(u, np.matmul(_t(u), u_bar))
            grad = grad + np.matmul(rest * s_inverse[..., None, :], vh)
    if vh_bar is not None:
        v_bar = _t(np.asarray(vh_bar)[..., :k, :])
        j = f * np.matmul(_t(v), v_bar)
        inner = inner + np.matmul(s[..., None] * np.eye(k), j + _t(j))
        if n > k:
            rest = v_bar - np.matmul(v, np.matmul(vh, v_bar))
            grad = grad + np.matmul(u * s_inverse[..., None, :], _t(rest))
    grad = grad + np.matmul(np.matmul(u, inner), vh)
    grad = np.broadcast_to(grad, a.shape)
    return _symmetrize(grad) if hermitian else np.array(grad)


def pinv_backward(g, out, a, hermitian=False):
    """Cotangent of ``np.linalg.pinv`` where the rank does not change nearby (Golub and
    Pereyra's derivative of the pseudo-inverse)."""
    p = np.asarray(out)
    a = np.asarray(a)
    p_t = _t(p)
    eye_m = np.eye(a.shape[-2])
    eye_n = np.eye(a.shape[-1])
    grad = (-np.matmul(np.matmul(p_t, g), p_t)
            + np.matmul(np.matmul(eye_m - np.matmul(a, p), _t(g)), np.matmul(p, p_t))
            + np.matmul(np.matmul(p_t, p), np.matmul(_t(g), eye_n - np.matmul(p, a))))
    return _symmetrize(grad) if hermitian else grad


def nan_to_num_backward(g, x, nan=0.0, posinf=None, neginf=None):
    """Cotangents ``[x_bar, nan_bar, posinf_bar, neginf_bar]`` of ``np.nan_to_num``: the
    finite entries pass ``g`` on, the replaced ones give it to their replacement."""
    x = np.asarray(x)
    finite = np.isfinite(x)
    return [np.where(finite, g, 0.0),
            unbroadcast(np.sum(np.where(np.isnan(x), g, 0.0)), nan),
            None if posinf is None else unbroadcast(np.sum(np.where(x == np.inf, g, 0.0)),
                                                    posinf),
            None if neginf is None else unbroadcast(np.sum(np.where(x == -np.inf, g, 0.0)),
                                                    neginf)]


def partition_backward(g, a, out, axis=-1):
    """Cotangent of ``np.partition``: each result element's cotangent goes back to an
    element of ``a`` with its value (equal values are interchangeable)."""
    if axis is None:
        return np.reshape(partition_backward(g, np.ravel(a), out, 0), np.shape(a))
    source = np.argsort(a, axis=axis, kind="stable")
    target = np.argsort(out, axis=axis, kind="stable")
    grid = index_grid(a)
    positions = np.empty_like(grid)
    np.put_along_axis(positions, target, np.take_along_axis(grid, source, axis=axis),
                      axis=axis)
    return scatter_add(g, a, positions)


def rollaxis_backward(g, a, axis, start=0):
    """Cotangent of ``np.rollaxis``: the inverse permutation of axes (read off a
    zero-stride array of sizes 1, 2, 3, ...)."""
    ndim = np.ndim(a)
    rolled = np.rollaxis(np.broadcast_to(0.0, tuple(range(1, ndim + 1))), axis, start)
    return np.transpose(g, np.argsort([size - 1 for size in rolled.shape]))


def select_backward(g, condlist, choicelist, default=0):
    """Cotangents ``[choicelist_bar, default_bar]`` of ``np.select``: each element's
    cotangent goes to the first choice whose condition holds there, else to ``default``."""
    taken = np.zeros(np.shape(g), dtype=bool)
    grads = []
    for condition, choice in zip(condlist, choicelist):
        here = np.logical_and(condition, ~taken)
        grads.append(unbroadcast(np.where(here, g, 0.0), choice))
        taken = taken | here
    return [type(choicelist)(grads) if isinstance(choicelist, (list, tuple)) else
            np.stack(grads), unbroadcast(np.where(taken, 0.0, g), default)]


def gradient_backward(g, out, f, dx=None, dy=None, dz=None, axis=None, edge_order=1):
    """Cotangents ``[f_bar, spacing_bar...]`` of ``np.gradient(f, *spacing, axis=...,
    edge_order=...)`` with scalar spacings: the operator is linear in ``f`` (its 1-d
    matrix, read off the identity, is applied transposed along each axis) and each result
    is proportional to 1 / its spacing."""
    spacing = [h for h in (dx, dy, dz) if h is not None]
    f = np.asarray(f)
    axes = list(range(f.ndim)) if axis is None else \
        [int(a) % f.ndim for a in np.atleast_1d(axis)]
    if any(np.ndim(h) for h in spacing):
        raise ValueError("chainrule differentiates np.gradient only with scalar spacings "
                         "(not coordinate arrays)")
    steps = list(spacing) if len(spacing) == len(axes) else list(spacing) * len(axes) \
        if len(spacing) == 1 else [1.0] * len(axes)
    gs = [g] if len(axes) == 1 else list(g)
    outs = [out] if len(axes) == 1 else list(out)
    f_bar = np.zeros(f.shape, dtype=np.result_type(f, float))
    step_bars = []
    for ax, step, gk, ok in zip(axes, steps, gs, outs):
        if gk is None:
            step_bars.append(0.0)
            continue
        size = f.shape[ax]
        matrix = np.gradient(np.eye(size), step, axis=0, edge_order=edge_order)
        f_bar = f_bar + np.moveaxis(np.tensordot(matrix.T, np.moveaxis(gk, ax, 0), axes=1),
                                    0, ax)
        step_bars.append(-np.sum(gk * ok) / step)
    if len(spacing) == 1 and len(axes) > 1:
        step_bars = [sum(step_bars)]
    return [f_bar] + [unbroadcast(b, h) for b, h in zip(step_bars, spacing)] + [None] * 3


def sequence_backward(g, items):
    """Cotangent of ``items`` for ``list(items)``/``tuple(items)``: item by item for a list
    or tuple, the rows stacked for an array, none for anything else (a dict's keys, a
    range, a string)."""
    if isinstance(items, (list, tuple)):
        return type(items)(_zero_if_none(gi, item) for gi, item in zip(g, items))
    if isinstance(items, np.ndarray) and items.ndim:
        rows = [_zero_if_none(gi, item) for gi, item in zip(g, items)]
        stacked = np.array(rows, dtype=_float_dtype(items, 0.0)) if rows else \
            np.zeros(items.shape, dtype=_float_dtype(items, 0.0))
        return np.reshape(stacked, items.shape)
    return zero_cotangent(items) if isinstance(items, dict) else None


def dict_backward(g, items):
    """Cotangent of ``items`` for ``dict(items)``: a dict's, key by key; a list of
    ``(key, value)`` pairs', where only the last pair of a key counts (it is the one kept)."""
    if isinstance(items, dict):
        return {key: _zero_if_none(g.get(key), value) for key, value in items.items()}
    if isinstance(items, (list, tuple)):
        last = {pair[0]: i for i, pair in enumerate(items)}
        return type(items)(
            type(pair)((zero_cotangent(pair[0]), _zero_if_none(g.get(pair[0]), pair[1])
                        if last[pair[0]] == i else zero_cotangent(pair[1])))
            for i, pair in enumerate(items))
    return None


class SharedUpdateCheck:
    """Raises the prepared error when an ``op=`` meets a value of the types that change in
    place (an array, a list) where another name or a loop would see the change (a NumPy
    scalar, a Python number or a tuple is rebound, not changed)."""

    def __init__(self, error: Exception, changing: tuple = (np.ndarray,)):
        self.error = error
        self.changing = changing

    def __call__(self, value) -> None:
        if isinstance(value, self.changing):
            raise self.error


class InPlaceCastCheck:
    """``a op= b`` on an array is computed as ``a = a op b``, whose result may have another
    dtype. NumPy's in-place form writes into ``a``, and refuses a result an integer or
    boolean ``a`` cannot hold (``a += 0.5``): the check does the same, raising what NumPy
    raises."""

    def __init__(self, ufunc):
        self.ufunc = ufunc

    def __call__(self, a, b) -> None:
        if isinstance(a, np.ndarray) and a.dtype.kind in "biu":
            self.ufunc(a, b, out=np.empty_like(a))


class ObjectSubscriptCheck:
    """``obj[key]`` with a key that needs a gradient and ``obj`` a constant: an index into
    data has no gradient, but an object that computes its result from the key (``np.r_``
    reached through a call or a loop) is refused with the prepared error."""

    def __init__(self, error: Exception):
        self.error = error

    def __call__(self, container) -> None:
        if not isinstance(container, (np.ndarray, np.generic, list, tuple, dict, str, bytes)):
            raise self.error


class ResizingStoreCheck:
    """Raises the prepared error when ``container[index] = value`` on a list would change
    its length (a slice replaced by a different number of items)."""

    def __init__(self, error: Exception):
        self.error = error

    def __call__(self, container, index: slice, value) -> None:
        if type(container) is list:
            try:
                resized = len(range(*index.indices(len(container)))) != len(value)
            except TypeError:                       # no length: Python will say what is wrong
                return
            if resized:
                raise self.error


class ChangedViewCheck:
    """Raises the prepared error, just before an array changes in place (at ``index``, or
    all of it), when ``view`` (or an array a list, tuple or dict ``view`` holds) shares
    memory with the part that changes: Python would show the change through the view, and
    the normal form, which follows values, would not. A copy (an item of a vector) or a row
    the store misses passes."""

    def __init__(self, error: Exception, direct: bool = False):
        self.error = error
        self.direct = direct            # ``view`` is what changes: only an array itself

    def __call__(self, view, array, index=None) -> None:
        if type(array) is not np.ndarray or (self.direct and type(view) is not np.ndarray):
            if self.direct and view is array and type(view) in (list, dict):
                raise self.error            # a store into the caller's list or dict
            return
        region = array
        if index is not None and _is_basic_index(index):
            index = index if type(index) is tuple else (index,)
            # With an Ellipsis the part is a view even where every index is an integer.
            region = array[index if Ellipsis in index else index + (Ellipsis,)]
        if any(_overlap(held, region) for held in _arrays_in(view)):
            raise self.error


def _overlap(first: np.ndarray, second: np.ndarray) -> bool:
    """Whether two arrays share an element (exactly: interleaved columns do not), taken as
    yes where NumPy finds that too costly to decide."""
    if not np.may_share_memory(first, second):
        return False
    try:
        return np.shares_memory(first, second, max_work=10_000)
    except _TOO_HARD:
        return True


_TOO_HARD = getattr(np, "exceptions", np).TooHardError      # (np.exceptions: NumPy >= 1.25)


def _arrays_in(value, depth: int = 3) -> list:
    """``value`` if it is an array, else the arrays a list, tuple or dict holds (nested a
    few levels deep)."""
    if type(value) is np.ndarray:
        return [value]
    if depth and type(value) in (list, tuple, dict):
        items = value.values() if type(value) is dict else value
        return [array for item in items for array in _arrays_in(item, depth - 1)]
    return []


def max_of(items):
    """``max(items)`` (one iterable argument): its own primal so that it can have a rule."""
    return max(items)


def min_of(items):
    """``min(items)`` (one iterable argument)."""
    return min(items)


def to_ties(g, out, items):
    """The cotangent of ``items`` for ``max(items)``/``min(items)`` equal to ``out``: ``g``
    split evenly among the items equal to ``out``."""
    if isinstance(items, (list, tuple)):
        ties = [1.0 if item == out else 0.0 for item in items]
        share = g / sum(ties)
        return type(items)(share * tie for tie in ties)
    ties = (np.asarray(items) == out).astype(float)
    return g * ties / np.sum(ties)
