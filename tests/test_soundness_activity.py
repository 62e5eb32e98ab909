"""Issue 12, classes 1 and 3: activity never vanishes, and dtypes are respected.

* An operation that reads a value needing a gradient either passes the gradient on
  (checked against central finite differences), is in the non-differentiable table, or is
  refused with a TransformError naming it and the line. Never a silent zero.
* ``np.r_`` and ``np.c_`` are differentiated; the rest of the index-object family is refused
  when given a value that needs a gradient.
* A value stored or cast into an integer or boolean array is truncated: its slope is 0. A
  floating array (float32 too) keeps the slope 1.
"""

import copy

import numpy as np
import pytest

from chainrule import TransformError, grad

X = np.array([0.73, 1.26, 2.14])      # 10 x and the other multiples stay off integers
N = np.array([1, 2, 3])
W6 = np.array([0.3, -1.1, 0.8, 1.7, -0.4, 0.9])       # a fixed weighting: no uniform cotangent
W32 = W6.reshape(3, 2)
TABLE = {0: 1.5, 1: 2.5}
GRID = np.arange(6.0).reshape(2, 3)


def numeric_gradient(function, args, eps=1e-6):
    x = np.asarray(args[0], dtype=float)
    result = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = eps
        high = function(x + step, *copy.deepcopy(args[1:]))
        low = function(x - step, *copy.deepcopy(args[1:]))
        result.flat[i] = (high - low) / (2 * eps)
    return result


def assert_matches_finite_differences(function, *args):
    originals = copy.deepcopy(args)
    gradient = grad(function)(*args)
    for argument, original in zip(args, originals):      # the inputs are left alone
        np.testing.assert_array_equal(argument, original)
        assert np.asarray(argument).dtype == np.asarray(original).dtype
    expected = numeric_gradient(function, copy.deepcopy(originals))
    np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-6)
    return gradient


# ----------------------------------------------------------------------------------------------
# np.r_ and np.c_

def r_twice(x): return np.sum(np.r_[x, x] * W6)
def r_scalar_and_slice(x): return np.sum(np.r_[x, 0.0, x[1:]] ** 2)
def r_range(x): return np.sum(np.r_[0:3, x] * W6)
def r_linspace_range(x): return np.sum(np.r_[x, -1:1:3j] * W6)
def r_elements(x): return np.sum(np.r_[x[0], x[1], 2.0, x[2] * x[0]] ** 2)
def r_rows(x): return np.sum(np.r_[x.reshape(1, 3), x.reshape(1, 3) * 2.0] ** 2 * W6.reshape(2, 3))
def r_list_part(x): return np.sum(np.r_[[x[0], 1.0], x] ** 2)
def r_tuple_name(x):
    parts = (x, x * 3.0)
    return np.sum(np.r_[parts] * W6)
def r_one_array(x): return np.sum(np.r_[x] ** 3)
def c_columns(x): return np.sum(np.c_[x, x * 2.0] ** 2 * W32)
def c_matrix_and_column(x): return np.sum(np.c_[x.reshape(3, 1), x] ** 2 * W32)
def c_range(x): return np.sum(np.c_[x, 1.0:4.0] ** 2 * W32)


def r_alias(x):
    join = np.r_
    again = join
    return np.sum(again[x, 2.0 * x] * W6)


def r_in_loop(x):
    total = x
    for _ in range(2):
        total = np.r_[total[1:], total[0] * 2.0]
    return np.sum(total * W6[:3])


@pytest.mark.parametrize("function", [
    r_twice, r_scalar_and_slice, r_range, r_linspace_range, r_elements, r_rows, r_list_part,
    r_tuple_name, r_one_array, c_columns, c_matrix_and_column, c_range, r_alias, r_in_loop])
def test_r_and_c_match_finite_differences(function):
    assert_matches_finite_differences(function, X.copy())


def test_r_twice_is_not_zero():
    """The issue's reproducer: it used to give [0, 0, 0] and `return None`."""
    np.testing.assert_allclose(grad(lambda x: np.sum(np.r_[x, x]))(X.copy()), [2.0, 2.0, 2.0])
    assert "return None" not in grad(r_twice).source_for(X.copy())


def r_directive(x): return np.sum(np.r_["0,2", x, x])
def c_directive(x): return np.sum(np.c_["1", x, x])


@pytest.mark.parametrize("function, directive", [(r_directive, "np.r_[...] with the directive "
                                                                "'0,2'"),
                                                 (c_directive, "np.c_[...] with the directive "
                                                               "'1'")])
def test_string_directives_are_refused(function, directive):
    with pytest.raises(TransformError, match="is not supported") as caught:
        grad(function)(X.copy())
    assert directive in str(caught.value)
    assert caught.value.lineno == function.__code__.co_firstlineno


def r_directive_in_a_tuple(x):
    parts = ("0,2", x, x * 2.0)
    return np.sum(np.r_[parts] ** 2)


def test_a_directive_known_only_when_it_runs_is_a_clear_error():
    with pytest.raises(ValueError, match="does not differentiate np.r_/np.c_ with the "
                                         "directive '0,2'"):
        grad(r_directive_in_a_tuple)(X.copy())


def r_directive_on_constants(x):
    rows = np.r_["0,2", [1.0, 2.0], [3.0, 4.0]]
    return np.sum(rows) * np.sum(x)


def test_a_directive_on_constants_runs():
    np.testing.assert_allclose(grad(r_directive_on_constants)(X.copy()), [10.0, 10.0, 10.0])


# ----------------------------------------------------------------------------------------------
# The rest of the family: constants when given nothing that needs a gradient, else refused

def s_constant(x): return np.sum(x[np.s_[1:]] ** 2)
def index_exp_constant(x): return np.sum(x[np.index_exp[:2]] ** 2)
def mgrid_constant(x): return np.sum(np.mgrid[0:2, 0:3] * x[0])
def global_array_row(x): return np.sum(GRID[int(x[0])] * x)
def global_dict(x): return TABLE[int(x[0])] * x[1]


@pytest.mark.parametrize("function", [s_constant, index_exp_constant, mgrid_constant,
                                      global_array_row, global_dict])
def test_index_objects_with_constant_keys(function):
    assert_matches_finite_differences(function, X.copy())


def s_active(x):
    k = np.s_[x[0]]
    return np.sum(x) + k


def index_exp_active(x):
    k = np.index_exp[x[0]]
    return k[0] * 2.0


def mgrid_active(x): return np.sum(np.mgrid[0:x[0]:3j])
def ogrid_active(x): return np.sum(np.ogrid[0:x[0]:3j])
def r_active_range(x): return np.sum(np.r_[x[0]:5.0])


def s_alias_active(x):
    build = np.s_
    k = build[x[0]]
    return k * 2.0


@pytest.mark.parametrize("function, what", [
    (s_active, "np.s_[...]"), (index_exp_active, "np.index_exp[...]"),
    (mgrid_active, "np.mgrid[...]"), (ogrid_active, "np.ogrid[...]"),
    (r_active_range, "np.r_[...]"), (s_alias_active, "build[...]")])
def test_index_objects_given_values_that_need_a_gradient_are_refused(function, what):
    with pytest.raises(TransformError) as caught:
        grad(function)(X.copy())
    message = str(caught.value)
    assert f"{what} takes " in message and "needs a gradient" in message
    assert caught.value.construct == what
    assert caught.value.filename == __file__
    assert caught.value.lineno > function.__code__.co_firstlineno - 1


# ----------------------------------------------------------------------------------------------
# A walk over library objects and calls with an active operand: each is differentiated
# correctly or refused, never a silent zero.

def w_ix(x): return np.sum(np.ix_(x, x)[0])
def w_meshgrid(x): return np.sum(np.meshgrid(x, x)[0])
def w_arange_start(x): return np.sum(np.arange(x[0], x[0] + 3.0) ** 2)
def w_arange_step(x): return np.sum(np.arange(0.0, 3.0, x[0]) ** 2 * W6[:5])
def w_arange_int(x): return np.sum(np.arange(3) * x)
def w_arange_count(x): return np.sum(np.arange(x[2] + 1.0) * x[0])
def w_linspace(x): return np.sum(np.linspace(x[0], x[1], 4) ** 2)
def w_vectorize(x): return np.sum(np.vectorize(np.sin)(x))
def w_flat(x): return np.sum(x.flat[1] * x)
def w_item(x): return x.item(0) * 2.0
def w_tolist(x): return np.sum(x.tolist()) * 2.0
def w_float32(x): return np.float32(x[0]) * 2.0
def w_ufunc_reduce(x): return np.add.reduce(x * x)
def w_interp(x): return np.sum(np.interp(x, [0.0, 1.0, 4.0], [0.0, 2.0, 3.0]))
def w_getattr(x): return np.sum(getattr(x, "T") * x)
def w_view(x): return np.sum(x.view(np.float64) * 2.0)
def w_histogram(x): return np.sum(np.histogram(x, bins=3)[1])
def w_heaviside(x): return np.sum(np.heaviside(x - 1.0, 0.5) * x)
def w_dtype_type(x): return x.dtype.type(x[0]) * 2.0
def w_real(x): return np.sum(x.real * 2.0)
def w_full_like(x): return np.sum(np.full_like(x, x[0]) * x)
def w_unique(x): return np.sum(np.unique(x))
def w_fromiter(x): return np.sum(np.fromiter(x, float))
def w_broadcast_arrays(x): return np.sum(np.broadcast_arrays(x, x)[0])
def w_sort_reversed(x): return np.sum(np.sort(x)[::-1] * W6[:3])
def w_round(x): return np.sum(np.round(x * 10.0) * x)
def w_floor(x): return np.sum(np.floor(x * 10.0) * x)
def w_argmax(x): return x[np.argmax(x)] * 2.0
def w_zeros_like(x): return np.sum((np.zeros_like(x) + 1.0) * x)
def w_shape(x): return x.shape[0] * np.sum(x)
def w_s_index(x): return np.sum(x[np.s_[::2]])


WALK = [w_ix, w_meshgrid, w_arange_start, w_arange_step, w_arange_int, w_arange_count,
        w_linspace, w_vectorize, w_flat, w_item, w_tolist, w_float32, w_ufunc_reduce, w_interp,
        w_getattr, w_view, w_histogram, w_heaviside, w_dtype_type, w_real, w_full_like,
        w_unique, w_fromiter, w_broadcast_arrays, w_sort_reversed, w_round, w_floor, w_argmax,
        w_zeros_like, w_shape, w_s_index, s_active, index_exp_active, mgrid_active,
        ogrid_active, r_active_range, s_alias_active, r_twice, c_columns]


@pytest.mark.parametrize("function", WALK)
def test_library_walk_is_differentiated_or_refused(function):
    try:
        gradient = grad(function)(X.copy())
    except TransformError as error:
        assert error.construct and error.lineno is not None
        return
    expected = numeric_gradient(function, [X.copy()])
    np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-6)


def joiner():
    return np.r_


def object_from_a_call(x):
    join = joiner()
    return np.sum(join[x, x] * W6)


def object_from_getattr(x):
    join = getattr(np, "r_")
    return np.sum(join[x, x] * W6)


def object_from_a_loop(x):
    total = 0.0
    for join in (np.r_, np.c_):
        total = total + np.sum(join[x, x])
    return total


def object_or_data_by_branch(x):
    if x[0] > 1.0:
        join = np.r_
    else:
        join = GRID.ravel()
    picked = join[x * 2.0]
    return np.sum(picked) * x[1]


def test_a_name_bound_to_np_r_on_one_path_only_is_checked_when_it_runs():
    """Not taken for np.r_ where it may be data (an index then): refused when it is np.r_."""
    with pytest.raises(TransformError, match=r"join\[\.\.\.\] takes"):
        grad(object_or_data_by_branch)(X + 1.0)
    with pytest.raises(IndexError):                     # data indexed by floats: as NumPy
        object_or_data_by_branch(X.copy())
    with pytest.raises(IndexError):
        grad(object_or_data_by_branch)(X.copy())


def integer_index_from_values(x):
    table = np.arange(5.0)
    positions = (x * 1.5).astype(int)
    return np.sum(table[positions] * x)


@pytest.mark.parametrize("function", [object_from_a_call, object_from_getattr,
                                      object_from_a_loop])
def test_an_object_subscript_known_only_when_it_runs_is_refused(function):
    """np.r_ reached through a call or a loop: the check runs with the code."""
    with pytest.raises(TransformError, match=r"join\[\.\.\.\] takes 'x', which needs a gradient"):
        grad(function)(X.copy())


def test_an_index_computed_from_values_is_still_an_index():
    assert_matches_finite_differences(integer_index_from_values, X.copy())


# Functions a walk over the NumPy namespace must not call: effects, files, uninitialized memory.
_NOT_CALLED = ("test", "info", "lookfor", "source", "who", "disp", "empty", "empty_like",
               "fromfile", "memmap", "deprecate", "byte_bounds", "frombuffer")
_NOT_CALLED_PREFIXES = ("set", "save", "load", "show", "get", "print", "seterr")


def test_every_numpy_function_on_a_value_needing_a_gradient_is_differentiated_or_refused(
        tmp_path, monkeypatch):
    """np.f(x) and np.f(x, y) for every public NumPy callable that runs on them: the gradient
    matches finite differences, or the call is refused with a TransformError naming it and
    its line. A silent zero would fail here."""
    import importlib
    import warnings

    names = []
    for attribute in sorted(dir(np)):
        if attribute.startswith("_") or attribute in _NOT_CALLED or \
                attribute.startswith(_NOT_CALLED_PREFIXES):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = getattr(np, attribute, None)
        if callable(value) and not isinstance(value, type):
            names.append(attribute)
    lines = ["import numpy as np",
             "W = np.array([[0.3, -1.1, 0.8], [1.7, -0.4, 0.9], [0.2, 0.5, -0.7]])"]
    for attribute in names:
        lines += [f"def one_{attribute}(x):",
                  f"    return np.sum(np.asarray(np.{attribute}(x), dtype=float) * W)",
                  f"def two_{attribute}(x):",
                  f"    return np.sum(np.asarray(np.{attribute}(x, x * 0.5 + 0.1), "
                  f"dtype=float) * W)"]
    (tmp_path / "numpy_walk.py").write_text("\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("numpy_walk")
    x = np.array([[0.73, 0.26, 0.14], [0.35, 0.61, 0.42], [0.57, 0.18, 0.89]])
    differentiated, refused, wrong = 0, 0, []
    for attribute in names:
        for function in (getattr(module, f"one_{attribute}"), getattr(module, f"two_{attribute}")):
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                try:
                    if not np.isfinite(function(x.copy())):
                        continue
                except Exception:               # not a call NumPy accepts: nothing to check
                    continue
                given = x.copy()
                try:
                    gradient = grad(function)(given)
                except TransformError as error:
                    assert error.construct and error.lineno, function.__name__
                    refused += 1
                    continue
                np.testing.assert_array_equal(given, x)
                expected = numeric_gradient(function, [x.copy()])
            if np.allclose(gradient, expected, rtol=1e-4, atol=1e-4):
                differentiated += 1
            else:
                wrong.append(function.__name__)
    assert not wrong, f"silently wrong gradients: {wrong}"
    assert differentiated > 100 and refused > 30


def test_arange_values_follow_start_and_step():
    """np.arange used to be in the non-differentiable table: start + k * step has a slope."""
    np.testing.assert_allclose(grad(w_arange_start)(X.copy()), [2 * (3 * X[0] + 3.0), 0, 0])
    assert np.any(grad(w_arange_step)(X.copy()) != 0.0)


# ----------------------------------------------------------------------------------------------
# dtypes: a store or cast into an integer or boolean dtype truncates (slope 0)

def store_into_arange(x):
    a = np.arange(3)
    a[0] = x[0] * 10.0
    return np.sum(a * x)


def store_slice_into_arange(x):
    a = np.arange(3)
    a[:2] = x[:2] * 10.0
    return np.sum(a * x)


def store_into_int_zeros(x):
    a = np.zeros(3, dtype=int)
    a[1] = x[1] * 3.0
    return np.sum(a * x)


def store_into_int_zeros_positional(x):
    a = np.zeros(3, np.int64)
    a[1] = x[1] * 3.0
    return np.sum(a * x)


def store_into_bool(x):
    a = np.zeros(3, dtype=bool)
    a[1] = x[1]
    return np.sum(a * x)


def store_into_zeros_like_argument(x, n):
    a = np.zeros_like(n)
    a[0] = x[0] * 10.0
    return np.sum(a * x)


def store_into_copy_of_int_argument(x, n):
    a = n.copy()
    a[2] = x[2] * 4.0
    return np.sum(a * x)


def element_op_into_int(x):
    a = np.arange(3)
    a[1] += x[1] * 5.0
    return np.sum(a * x)


def store_into_int_in_loop(x):
    a = np.arange(3)
    total = 0.0
    for i in range(3):
        a[i] = x[i] * 7.0
        total = total + a[i] * x[i]
    return total


def store_into_float32(x):
    a = np.zeros(3, dtype=np.float32)
    a[0] = x[0] * 10.0
    return np.sum(a * x)


def store_into_float_zeros(x):
    a = np.zeros(3)
    a[0] = x[0] * 10.0
    return np.sum(a * x)


def full_int(x): return np.sum(np.full(3, x[0] * 10.0, dtype=int) * x)
def full_like_int(x, n): return np.sum(np.full_like(n, x[0] * 10.0) * x)
def cumsum_int(x): return np.sum(np.cumsum(x * 10.0, dtype=int) * x)
def prod_int(x): return np.prod(x * 10.0, dtype=int) * x[0]
def sum_int(x): return np.sum(x * 10.0, dtype=int) * x[0]
def mean_int(x): return np.mean(x * 10.0, dtype=int) * x[0]
def array_int(x): return np.sum(np.array([x[0] * 10.0, x[1]], dtype=int) * x[:2])
def astype_int(x): return np.sum((x * 10.0).astype(int) * x)
def asarray_int32(x): return np.sum(np.asarray(x * 10.0, dtype=np.int32) * x)
def linspace_int(x): return np.sum(np.linspace(x[0], x[2] * 10.0, 4, dtype=int)) * x[1]
def trace_int(x): return np.trace(np.outer(x, x) * 10.0, dtype=int) * x[0]
def cumprod_int(x): return np.sum(np.cumprod(x * 10.0, dtype=int)) * x[0]
def sum_dtype_string(x): return np.sum(x * 10.0, dtype="int32") * x[0]
def sum_dtype_of_argument(x, n): return np.sum(x * 10.0, dtype=n.dtype) * x[0]


def sum_dtype_parameter(x, kind):
    return np.sum(x * 10.0, dtype=kind) * x[0]


@pytest.mark.parametrize("function, args", [
    (store_into_arange, ()), (store_slice_into_arange, ()), (store_into_int_zeros, ()),
    (store_into_int_zeros_positional, ()), (store_into_bool, ()),
    (store_into_zeros_like_argument, (N.copy(),)), (store_into_copy_of_int_argument, (N.copy(),)),
    (element_op_into_int, ()), (store_into_int_in_loop, ()), (store_into_float_zeros, ()),
    (full_int, ()), (full_like_int, (N.copy(),)), (cumsum_int, ()), (prod_int, ()), (sum_int, ()),
    (mean_int, ()), (array_int, ()), (astype_int, ()), (asarray_int32, ()), (linspace_int, ()),
    (trace_int, ()), (cumprod_int, ()), (sum_dtype_string, ()),
    (sum_dtype_of_argument, (N.copy(),)), (sum_dtype_parameter, (int,)),
    (sum_dtype_parameter, (np.float64,)), (store_into_zeros_like_argument, (X * 2.0,)),
    (full_like_int, (X * 2.0,))])
def test_dtype_truncation_matches_finite_differences(function, args):
    assert_matches_finite_differences(function, X.copy(), *args)


def test_a_truncating_store_has_slope_zero():
    # a = [int(10 x0), 1, 2]: x0 enters only through the product with x (slope a[0] = 7).
    np.testing.assert_allclose(grad(store_into_arange)(X.copy()), [7.0, 1.0, 2.0])
    assert store_into_arange(X.copy()) == 7.0 * X[0] + X[1] + 2.0 * X[2]
    np.testing.assert_allclose(grad(store_into_bool)(X.copy()), [0.0, 1.0, 0.0])


def test_a_float32_store_keeps_slope_one():
    gradient = grad(store_into_float32)(X.copy())
    a0 = float(np.float32(X[0] * 10.0))
    np.testing.assert_allclose(gradient, [a0 + 10.0 * X[0], 0.0, 0.0], rtol=1e-6)


def test_an_in_place_add_into_an_int_array_fails_as_in_numpy():
    def add_into_int(x):
        a = np.arange(3)
        a += x
        return np.sum(a * x)

    with pytest.raises(TypeError) as numpy_error:
        add_into_int(X.copy())
    with pytest.raises(type(numpy_error.value)):
        grad(add_into_int)(X.copy())


def test_no_dtype_check_where_the_array_is_known_floating():
    """The runtime test is emitted only where it can fire."""
    source = grad(store_into_float_zeros).source_for(X.copy())
    assert "stored_cotangent" not in source
    assert "stored_cotangent" in grad(store_into_arange).source_for(X.copy())
    assert "cast_cotangent" not in grad(sum_int).source_for(X.copy())
    assert "cast_cotangent" in grad(sum_dtype_parameter).source_for(X.copy(), int)


def add_int_into_int(x):
    a = np.arange(3)
    a += 2
    a *= 3
    return np.sum(a * x)


def add_into_float32(x):
    a = np.zeros(3, dtype=np.float32)
    a += x[0]
    return np.sum(a * x)


def test_in_place_updates_numpy_allows_still_run():
    assert_matches_finite_differences(add_int_into_int, X.copy())
    gradient = grad(add_into_float32)(X.copy())
    np.testing.assert_allclose(gradient, [np.sum(X) + X[0], X[0], X[0]], rtol=1e-6)
    assert "check_in_place_cast" in grad(add_int_into_int).source_for(X.copy())
    assert "check_in_place_cast" not in grad(add_into_float32).source_for(X.copy())


def store_into_isnan_mask(x):
    mask = np.isnan(x)
    mask[0] = x[0] * 10.0
    return np.sum(mask * x)


def store_into_zeros_like_int(x):
    a = np.zeros_like(x, int)
    a[0] = x[0] * 10.0
    return np.sum(a * x)


def store_into_ones_like_float(x):
    a = np.ones_like(x)
    a[0] = x[0] * 10.0
    return np.sum(a * x)


@pytest.mark.parametrize("function", [store_into_isnan_mask, store_into_zeros_like_int,
                                      store_into_ones_like_float])
def test_stores_into_arrays_made_from_floating_arrays(function):
    assert_matches_finite_differences(function, X.copy())
    checked = "stored_cotangent" in grad(function).source_for(X.copy())
    assert checked == (function is not store_into_ones_like_float)
