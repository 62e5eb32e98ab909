"""NumPy as people use it (issue 4): the NumPy rules exercised end to end through ``grad``.

``tests/test_rules_numpy.py`` calls each rule directly. Here every rule is reached the way a
user reaches it: inside an ordinary function that chainrule transforms, with keyword arguments
bound by name, array methods and attributes mapped onto NumPy functions, indexing, in-place
element stores and broadcasting. Each case is checked against central finite differences at
the default tolerances of :func:`chainrule.check_grad`, and each gradient must have its
argument's shape and floating dtype; the inputs must come back unchanged.

Inputs are small, drawn from one seeded generator, and kept inside each function's domain and
away from its kinks (no ties except in the tie tests).
"""

import ast
import copy
import inspect
import warnings

import numpy as np
import pytest

import chainrule
from chainrule import TransformError, check_grad, grad

RNG = np.random.default_rng(20240604)


def uniform(shape, low=0.5, high=1.5):
    return RNG.uniform(low, high, size=shape)


def signed(shape, low=0.3, high=1.2):
    """Values with random signs, at least ``low`` away from zero."""
    return uniform(shape, low, high) * RNG.choice([-1.0, 1.0], size=shape)


def _positions(function, wrt):
    names = list(inspect.signature(function).parameters)
    items = [wrt] if isinstance(wrt, (int, str)) else list(wrt)
    return [names.index(item) if isinstance(item, str) else item % len(names)
            for item in items]


def _expected_dtype(argument):
    if isinstance(argument, (np.ndarray, np.generic)) and argument.dtype.kind == "f":
        return argument.dtype
    return np.dtype(np.float64)


def assert_gradient_like(gradient, argument):
    """The gradient of one argument has its shape and floating dtype."""
    if type(argument) is float or type(argument) is int:
        assert type(gradient) is float, (type(gradient), type(argument))
        return
    if isinstance(argument, np.generic):
        assert type(gradient) is _expected_dtype(argument).type, type(gradient)
        return
    assert isinstance(gradient, np.ndarray), type(gradient)
    assert gradient.shape == argument.shape
    assert gradient.dtype == _expected_dtype(argument)


def check(function, *args, wrt=0):
    """Finite differences at default tolerances, shapes and dtypes, inputs left alone.
    Returns the gradient(s)."""
    originals = copy.deepcopy(args)
    assert check_grad(function, *args, wrt=wrt) <= 1.0
    result = grad(function, wrt=wrt)(*args)
    gradients = (result,) if isinstance(wrt, (int, str)) else result
    for position, gradient in zip(_positions(function, wrt), gradients):
        assert_gradient_like(gradient, args[position])
    for argument, original in zip(args, originals):
        if isinstance(original, np.ndarray):
            assert argument.dtype == original.dtype
            np.testing.assert_array_equal(argument, original)
        else:
            assert argument == original
    return result


def case(function, *args, wrt=0, id=None, bug=None):
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    return pytest.param(function, args, wrt, id=id or function.__name__, marks=marks)


def run_cases(cases):
    return pytest.mark.parametrize("function, args, wrt", cases)


# ==============================================================================================
# Elementwise, one argument

W34 = uniform((3, 4), -1.0, 1.0)        # a fixed weighting, so that no cotangent is uniform


def u_sin(x): return np.sum(W34 * np.sin(x))
def u_cos(x): return np.sum(W34 * np.cos(x))
def u_tan(x): return np.sum(W34 * np.tan(x))
def u_arcsin(x): return np.sum(W34 * np.arcsin(x))
def u_arccos(x): return np.sum(W34 * np.arccos(x))
def u_arctan(x): return np.sum(W34 * np.arctan(x))
def u_sinh(x): return np.sum(W34 * np.sinh(x))
def u_cosh(x): return np.sum(W34 * np.cosh(x))
def u_tanh(x): return np.sum(W34 * np.tanh(x))
def u_arcsinh(x): return np.sum(W34 * np.arcsinh(x))
def u_arccosh(x): return np.sum(W34 * np.arccosh(x))
def u_arctanh(x): return np.sum(W34 * np.arctanh(x))
def u_exp(x): return np.sum(W34 * np.exp(x))
def u_exp2(x): return np.sum(W34 * np.exp2(x))
def u_expm1(x): return np.sum(W34 * np.expm1(x))
def u_log(x): return np.sum(W34 * np.log(x))
def u_log2(x): return np.sum(W34 * np.log2(x))
def u_log10(x): return np.sum(W34 * np.log10(x))
def u_log1p(x): return np.sum(W34 * np.log1p(x))
def u_sqrt(x): return np.sum(W34 * np.sqrt(x))
def u_cbrt(x): return np.sum(W34 * np.cbrt(x))
def u_square(x): return np.sum(W34 * np.square(x))
def u_reciprocal(x): return np.sum(W34 * np.reciprocal(x))
def u_abs(x): return np.sum(W34 * np.abs(x))
def u_absolute(x): return np.sum(W34 * np.absolute(x))
def u_builtin_abs(x): return np.sum(W34 * abs(x))
def u_fabs(x): return np.sum(W34 * np.fabs(x))
def u_negative(x): return np.sum(W34 * np.negative(x) * x)
def u_unary_minus(x): return np.sum(W34 * -x * x)
def u_positive(x): return np.sum(W34 * np.positive(x) * x)
def u_deg2rad(x): return np.sum(W34 * np.sin(np.deg2rad(x)))
def u_radians(x): return np.sum(W34 * np.sin(np.radians(x)))
def u_rad2deg(x): return np.sum(W34 * np.sin(np.rad2deg(x)))
def u_degrees(x): return np.sum(W34 * np.sin(np.degrees(x)))
def u_sinc(x): return np.sum(W34 * np.sinc(x))


POSITIVE = uniform((3, 4))
INSIDE_UNIT = uniform((3, 4), -0.8, 0.8)
SIGNED = signed((3, 4))

UNARY = [
    case(u_sin, SIGNED), case(u_cos, SIGNED), case(u_tan, INSIDE_UNIT),
    case(u_arcsin, INSIDE_UNIT), case(u_arccos, INSIDE_UNIT), case(u_arctan, SIGNED),
    case(u_sinh, SIGNED), case(u_cosh, SIGNED), case(u_tanh, SIGNED),
    case(u_arcsinh, SIGNED), case(u_arccosh, POSITIVE + 1.0), case(u_arctanh, INSIDE_UNIT),
    case(u_exp, SIGNED), case(u_exp2, SIGNED), case(u_expm1, SIGNED),
    case(u_log, POSITIVE), case(u_log2, POSITIVE), case(u_log10, POSITIVE),
    case(u_log1p, POSITIVE), case(u_sqrt, POSITIVE), case(u_cbrt, POSITIVE),
    case(u_square, SIGNED), case(u_reciprocal, SIGNED),
    case(u_abs, SIGNED), case(u_absolute, SIGNED), case(u_builtin_abs, SIGNED),
    case(u_fabs, SIGNED), case(u_negative, SIGNED), case(u_unary_minus, SIGNED),
    case(u_positive, SIGNED), case(u_deg2rad, SIGNED * 50), case(u_radians, SIGNED * 50),
    case(u_rad2deg, SIGNED / 50), case(u_degrees, SIGNED / 50), case(u_sinc, SIGNED),
]


@run_cases(UNARY)
def test_elementwise_unary(function, args, wrt):
    check(function, *args, wrt=wrt)


# ==============================================================================================
# Elementwise, two arguments, with broadcasting: the result is (3, 4) for every pair


def b_add(x, y): return np.sum(W34 * np.add(x, y) ** 2)
def b_plus(x, y): return np.sum(W34 * (x + y) ** 2)
def b_subtract(x, y): return np.sum(W34 * np.subtract(x, y) ** 2)
def b_minus(x, y): return np.sum(W34 * (x - y) ** 2)
def b_multiply(x, y): return np.sum(W34 * np.multiply(x, y))
def b_times(x, y): return np.sum(W34 * (x * y))
def b_divide(x, y): return np.sum(W34 * np.divide(x, y))
def b_true_divide(x, y): return np.sum(W34 * np.true_divide(x, y))
def b_over(x, y): return np.sum(W34 * (x / y))
def b_power(x, y): return np.sum(W34 * np.power(x, y))
def b_pow_operator(x, y): return np.sum(W34 * x ** y)
def b_float_power(x, y): return np.sum(W34 * np.float_power(x, y))
def b_arctan2(x, y): return np.sum(W34 * np.arctan2(x, y))
def b_hypot(x, y): return np.sum(W34 * np.hypot(x, y))
def b_logaddexp(x, y): return np.sum(W34 * np.logaddexp(x, y))
def b_logaddexp2(x, y): return np.sum(W34 * np.logaddexp2(x, y))
def b_maximum(x, y): return np.sum(W34 * np.maximum(x, y))
def b_minimum(x, y): return np.sum(W34 * np.minimum(x, y))
def b_fmax(x, y): return np.sum(W34 * np.fmax(x, y))
def b_fmin(x, y): return np.sum(W34 * np.fmin(x, y))
def b_copysign(x, y): return np.sum(W34 * np.copysign(x, y) * y)


BINARY_FUNCTIONS = [b_add, b_plus, b_subtract, b_minus, b_multiply, b_times, b_divide,
                    b_true_divide, b_over, b_power, b_pow_operator, b_float_power, b_arctan2,
                    b_hypot, b_logaddexp, b_logaddexp2, b_maximum, b_minimum, b_fmax, b_fmin,
                    b_copysign]

# (x, y) pairs broadcasting to (3, 4); positive values (power, float_power need x > 0), and
# values drawn independently so that maximum/minimum/fmax/fmin never tie.
BROADCAST_PAIRS = {
    "matrix-matrix": (uniform((3, 4)), uniform((3, 4))),
    "matrix-scalar": (uniform((3, 4)), 0.9),
    "scalar-matrix": (1.1, uniform((3, 4))),
    "row-matrix": (uniform((4,)), uniform((3, 4))),
    "matrix-row": (uniform((3, 4)), uniform((4,))),
    "column-row": (uniform((3, 1)), uniform((1, 4))),
    "0d-matrix": (np.array(0.8), uniform((3, 4))),
}


def _signed_pair(x, y):
    """copysign: the sign of y must vary (its derivative with respect to x is sign(x)sign(y))."""
    if isinstance(y, np.ndarray):
        return x, y * RNG.choice([-1.0, 1.0], size=y.shape)
    return x, -y


BINARY = []
for _function in BINARY_FUNCTIONS:
    for _pair_name, _pair in BROADCAST_PAIRS.items():
        _x, _y = _signed_pair(*_pair) if _function is b_copysign else _pair
        BINARY.append(case(_function, _x, _y, wrt=(0, 1), id=f"{_function.__name__}-{_pair_name}"))


@run_cases(BINARY)
def test_elementwise_binary_broadcasting(function, args, wrt):
    gradients = check(function, *args, wrt=wrt)
    for gradient, argument in zip(gradients, args):
        assert np.shape(gradient) == np.shape(argument)


def maximum_tie(x, y):
    return np.sum(np.maximum(x, y))


def minimum_tie(x, y):
    return np.sum(np.minimum(x, y))


def fmax_tie(x, y):
    return np.sum(np.fmax(x, y))


@pytest.mark.parametrize("function", [maximum_tie, minimum_tie, fmax_tie])
def test_binary_extremum_ties_split_evenly(function):
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 5.0, 0.0])
    gx, gy = grad(function, wrt=(0, 1))(x, y)
    larger = function in (maximum_tie, fmax_tie)
    np.testing.assert_array_equal(gx, [0.5, 0.0, 1.0] if larger else [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(gy, [0.5, 1.0, 0.0] if larger else [0.5, 0.0, 1.0])


def where_select(x, y):
    return np.sum(W34 * np.where(x > 1.0, x ** 2, y * x))


def where_broadcast(x, y):
    return np.sum(W34 * np.where(x > 1.0, np.sin(x), y))


def where_keywordless_scalar(x):
    return np.sum(W34 * np.where(x > 1.0, x, 0.0))


def clip_constants(x):
    return np.sum(W34 * np.clip(x, 0.8, 1.2) ** 2)


def clip_keywords(x):
    return np.sum(W34 * np.clip(x, a_min=0.8, a_max=1.2) ** 2)


def clip_arrays(x, low, high):
    return np.sum(W34 * np.clip(x, low, high) ** 2)


def clip_method(x):
    return np.sum(W34 * x.clip(0.8, 1.2) ** 2)


def clip_only_lower(x):
    return np.sum(W34 * np.clip(x, 0.8, None) ** 2)


def _away_from(values, points, gap=0.05):
    """Move the entries of ``values`` that lie within ``gap`` of any of ``points``."""
    values = values.copy()
    for point in points:
        close = np.abs(values - point) < gap
        values[close] = point + 2 * gap
    return values


CLIP_X = _away_from(uniform((3, 4), 0.5, 1.5), [0.8, 1.2])
CLIP_LOW = np.full(4, 0.8)
CLIP_HIGH = uniform((3, 1), 1.1, 1.3)
CLIP_X_ARRAYS = _away_from(_away_from(CLIP_X, [0.8]), list(CLIP_HIGH.ravel()))
WHERE_X = _away_from(uniform((3, 4), 0.5, 1.5), [1.0])

SELECTION = [
    case(where_select, WHERE_X, uniform((3, 4)), wrt=(0, 1)),
    case(where_broadcast, WHERE_X, uniform((4,)), wrt=(0, 1), id="where_broadcast-row"),
    case(where_broadcast, WHERE_X, 0.7, wrt=(0, 1), id="where_broadcast-scalar"),
    case(where_keywordless_scalar, WHERE_X),
    case(clip_constants, CLIP_X),
    case(clip_keywords, CLIP_X),
    case(clip_arrays, CLIP_X_ARRAYS, CLIP_LOW, CLIP_HIGH, wrt=(0, 1, 2)),
    case(clip_method, CLIP_X),
    case(clip_only_lower, CLIP_X),
]


@run_cases(SELECTION)
def test_where_and_clip(function, args, wrt):
    check(function, *args, wrt=wrt)


def test_where_routes_the_cotangent_exactly():
    def f(x, y):
        return np.sum(np.where(x > 0.0, x, y))
    gx, gy = grad(f, wrt=(0, 1))(np.array([1.0, -1.0, 2.0]), np.array([5.0, 6.0, 7.0]))
    np.testing.assert_array_equal(gx, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(gy, [0.0, 1.0, 0.0])


# ==============================================================================================
# Reductions, with axis (None, int, negative, tuple) and keepdims

AXES = [(None, False), (0, False), (-1, False), ((0, 2), False), (1, True), (None, True),
        ((0, -1), True)]
X234 = uniform((2, 3, 4))


def red_sum(x, axis, keepdims):
    return np.sum(np.sin(np.sum(x, axis=axis, keepdims=keepdims)))


def red_sum_method(x, axis, keepdims):
    return np.sum(np.sin(x.sum(axis=axis, keepdims=keepdims)))


def red_mean(x, axis, keepdims):
    return np.sum(np.sin(3.0 * np.mean(x, axis=axis, keepdims=keepdims)))


def red_mean_method(x, axis, keepdims):
    return np.sum(np.sin(3.0 * x.mean(axis=axis, keepdims=keepdims)))


def red_prod(x, axis, keepdims):
    return np.sum(np.sin(np.prod(x, axis=axis, keepdims=keepdims)))


def red_max(x, axis, keepdims):
    return np.sum(np.sin(np.max(x, axis=axis, keepdims=keepdims)) * 2.0)


def red_min(x, axis, keepdims):
    return np.sum(np.sin(np.min(x, axis=axis, keepdims=keepdims)) * 2.0)


def red_amax(x, axis, keepdims):
    return np.sum(np.sin(np.amax(x, axis=axis, keepdims=keepdims)) * 2.0)


def red_amin(x, axis, keepdims):
    return np.sum(np.sin(np.amin(x, axis=axis, keepdims=keepdims)) * 2.0)


def red_var(x, axis, keepdims):
    return np.sum(np.sin(10.0 * np.var(x, axis=axis, keepdims=keepdims)))


def red_var_ddof(x, axis, keepdims):
    return np.sum(np.sin(10.0 * np.var(x, axis=axis, ddof=1, keepdims=keepdims)))


def red_std(x, axis, keepdims):
    return np.sum(np.sin(3.0 * np.std(x, axis=axis, keepdims=keepdims)))


def red_std_ddof(x, axis, keepdims):
    return np.sum(np.sin(3.0 * np.std(x, axis=axis, ddof=1, keepdims=keepdims)))


def red_std_method(x, axis, keepdims):
    return np.sum(np.sin(3.0 * x.std(axis=axis, ddof=1, keepdims=keepdims)))


def red_average(x, axis, keepdims):
    return np.sum(np.sin(3.0 * np.average(x, axis=axis, keepdims=keepdims)))


def red_norm(x, axis, keepdims):
    return np.sum(np.sin(np.linalg.norm(x, axis=axis, keepdims=keepdims)))


REDUCTION_FUNCTIONS = [red_sum, red_sum_method, red_mean, red_mean_method, red_prod, red_max,
                       red_min, red_amax, red_amin, red_var, red_var_ddof, red_std,
                       red_std_ddof, red_std_method, red_average]

REDUCTIONS = [case(f, X234, axis, keepdims, id=f"{f.__name__}-axis={axis}-keepdims={keepdims}")
              for f in REDUCTION_FUNCTIONS for axis, keepdims in AXES]
# linalg.norm takes one or two axes (or None with a 1-d or 2-d input).
REDUCTIONS += [case(red_norm, X234, axis, keepdims,
                    id=f"red_norm-axis={axis}-keepdims={keepdims}")
               for axis, keepdims in [(0, False), (-1, False), ((0, 2), False), (1, True),
                                      ((0, -1), True)]]
REDUCTIONS += [case(red_norm, X234[0], None, False, id="red_norm-matrix-axis=None"),
               case(red_norm, X234[0, 0], None, True, id="red_norm-vector-keepdims")]


@run_cases(REDUCTIONS)
def test_reductions_with_axis_and_keepdims(function, args, wrt):
    check(function, *args, wrt=wrt)


def cumsum_axis(x, axis):
    return np.sum(W34 * np.cumsum(x, axis=axis) ** 2)


def cumprod_axis(x, axis):
    return np.sum(W34 * np.cumprod(x, axis=axis))


def cumsum_flat(x):
    return np.sum(np.sin(np.cumsum(x)))


def cumprod_flat(x):
    return np.sum(np.sin(np.cumprod(x)))


def cumsum_method(x):
    return np.sum(W34 * x.cumsum(axis=1) ** 2)


def cumprod_method(x):
    return np.sum(W34 * x.cumprod(0))


def average_weights(x, weights):
    return np.sin(np.average(x, weights=weights))


def average_weights_axis(x, weights):
    return np.sum(np.sin(3.0 * np.average(x, axis=1, weights=weights)))


def average_weights_axis_keepdims(x, weights):
    return np.sum(np.sin(3.0 * np.average(x, axis=0, weights=weights, keepdims=True)))


def prod_with_zero(x):
    return np.prod(x)


def prod_with_zero_axis(x):
    return np.sum(W34[:2, :3] * np.prod(x, axis=0) ** 2)


WITH_ZERO = np.array([[2.0, 0.0, 0.5], [1.5, 3.0, 0.0], [0.7, 1.2, 0.9]])

CUMULATIVE = [
    case(cumsum_axis, uniform((3, 4)), 0, id="cumsum-axis=0"),
    case(cumsum_axis, uniform((3, 4)), -1, id="cumsum-axis=-1"),
    case(cumprod_axis, uniform((3, 4)), 1, id="cumprod-axis=1"),
    case(cumprod_axis, uniform((3, 4)), -2, id="cumprod-axis=-2"),
    case(cumsum_flat, uniform((3, 4)) / 4),
    case(cumprod_flat, uniform((3, 4))),
    case(cumsum_method, uniform((3, 4))),
    case(cumprod_method, uniform((3, 4))),
    case(cumprod_axis, np.where(np.eye(3, 4) > 0, 0.0, uniform((3, 4))), 1,
         id="cumprod-with-zeros"),
    case(average_weights, uniform((3, 4)), uniform((3, 4)), wrt=(0, 1)),
    case(average_weights_axis, uniform((3, 4)), uniform((4,)), wrt=(0, 1)),
    case(average_weights_axis_keepdims, uniform((3, 4)), uniform((3,)), wrt=(0, 1)),
    case(prod_with_zero, WITH_ZERO[0], id="prod-one-zero"),
    case(prod_with_zero, WITH_ZERO, id="prod-two-zeros"),
    case(prod_with_zero_axis, np.array([[0.0, 2.0, 0.0], [3.0, 0.0, 0.0]]),
         id="prod-axis-zeros"),
]


@run_cases(CUMULATIVE)
def test_cumulative_average_and_prod(function, args, wrt):
    check(function, *args, wrt=wrt)


def test_prod_with_zero_exact_values():
    np.testing.assert_array_equal(grad(prod_with_zero)(np.array([2.0, 0.0, 3.0, 4.0])),
                                  [0.0, 24.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad(prod_with_zero)(np.array([2.0, 0.0, 0.0, 4.0])),
                                  [0.0, 0.0, 0.0, 0.0])


def norm_ord(x, ord):
    return np.sin(np.linalg.norm(x, ord=ord))


def norm_ord_axis(x, ord):
    return np.sum(np.sin(np.linalg.norm(x, ord=ord, axis=1)))


def norm_ord_positional(x):
    return np.sin(np.linalg.norm(x, 2))


VECTOR = signed((5,))
MATRIX = signed((3, 4))
NORMS = [case(norm_ord, VECTOR, ord, id=f"vector-ord={ord}") for ord in [None, 1, 2, np.inf]]
NORMS += [case(norm_ord, MATRIX, ord, id=f"matrix-ord={ord}")
          for ord in [None, "fro", 1, 2, np.inf]]
NORMS += [case(norm_ord_axis, MATRIX, ord, id=f"rows-ord={ord}") for ord in [None, 1, 2, np.inf]]
NORMS += [case(norm_ord_positional, VECTOR)]


@run_cases(NORMS)
def test_linalg_norm(function, args, wrt):
    check(function, *args, wrt=wrt)


def max_all(x):
    return np.max(x)


def min_all(x):
    return np.min(x)


def amax_rows(x):
    return np.sum(np.amax(x, axis=1) * np.array([1.0, 10.0]))


def amin_columns_keepdims(x):
    return np.sum(np.amin(x, axis=0, keepdims=True) * np.array([1.0, 10.0, 100.0]))


def max_method(x):
    return x.max()


def norm_inf_tie(x):
    return np.linalg.norm(x, ord=np.inf)


def test_max_min_ties_split_evenly():
    tied = np.array([1.0, 3.0, 3.0, 2.0])
    np.testing.assert_array_equal(grad(max_all)(tied), [0.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(grad(max_method)(tied), [0.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(grad(min_all)(np.array([1.0, 3.0, 1.0, 1.0])),
                                  [1 / 3, 0.0, 1 / 3, 1 / 3])
    matrix = np.array([[2.0, 2.0, 1.0], [0.0, 4.0, 4.0]])
    np.testing.assert_array_equal(grad(amax_rows)(matrix),
                                  [[0.5, 0.5, 0.0], [0.0, 5.0, 5.0]])
    matrix = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]])
    np.testing.assert_array_equal(grad(amin_columns_keepdims)(matrix),
                                  [[0.5, 0.0, 50.0], [0.5, 10.0, 50.0]])
    np.testing.assert_array_equal(grad(norm_inf_tie)(np.array([1.0, -3.0, 3.0])),
                                  [0.0, -0.5, 0.5])


# ==============================================================================================
# Shape and joining


def s_reshape(x): return np.sum(W34 * np.reshape(x, (3, 4)))
def s_reshape_keyword(x): return np.sum(W34 * np.reshape(x, shape=(3, -1)))
def s_ravel(x): return np.sum(W34.ravel() * np.ravel(x))
def s_transpose(x): return np.sum(W34 * np.transpose(x))
def s_transpose_axes(x): return np.sum(W34[:2, :3] * np.transpose(x, (1, 2, 0))[0])
def s_swapaxes(x): return np.sum(W34[:2, :3] * np.swapaxes(x, 0, 2)[1])
def s_moveaxis(x): return np.sum(W34 * np.moveaxis(x, 0, -1)[:, :, 1])
def s_expand_dims(x): return np.sum(np.expand_dims(x, axis=1) * W34[:, None, :] ** 2 * x)
def s_squeeze(x): return np.sum(W34 * np.squeeze(x) ** 2)
def s_squeeze_axis(x): return np.sum(W34[0] * np.squeeze(x, axis=0) ** 2)
def s_broadcast_to(x): return np.sum(W34 * np.broadcast_to(x, (3, 4)) ** 2)
def s_tile(x): return np.sum(W34 * np.tile(x, (3, 2)) ** 2)
def s_repeat(x): return np.sum(W34 * np.repeat(x, 2, axis=1) ** 2)
def s_repeat_flat(x): return np.sum(W34.ravel() * np.repeat(x, 3) ** 2)
def s_concatenate(x, y): return np.sum(W34 * np.concatenate([x, y ** 2], axis=0))
def s_concatenate_axis1(x, y): return np.sum(W34 * np.concatenate((x, y ** 2), axis=1))
def s_stack(x, y): return np.sum(W34 * np.stack([x, y ** 2]) ** 2)
def s_stack_axis(x, y): return np.sum(W34[:, None, :] * np.stack([x, y ** 2], axis=1) ** 2)
def s_hstack(x, y): return np.sum(W34[0] * np.hstack([x, y ** 2]))
def s_vstack(x, y): return np.sum(W34 * np.vstack([x, y ** 2]))
def s_flip(x): return np.sum(W34 * np.flip(x))
def s_flip_axis(x): return np.sum(W34 * np.flip(x, axis=1))
def s_roll(x): return np.sum(W34 * np.roll(x, 2) ** 2)
def s_roll_axis(x): return np.sum(W34 * np.roll(x, -1, axis=0) ** 2)
def s_atleast_1d(x): return np.sum(np.atleast_1d(x) * 3.0) * x
def s_atleast_2d(x): return np.sum(W34[:1] * np.atleast_2d(x) ** 2)


def s_split(x):
    a, b, c = np.split(x, 3)
    return np.sum(a * W34[0]) + np.sum(b ** 2) + np.sum(np.sin(c))


def s_split_indices_axis(x):
    parts = np.split(x, [1, 3], axis=1)
    return np.sum(parts[0] ** 2) + np.sum(W34[:, :2] * parts[1]) + np.sum(np.sin(parts[2]))


def s_split_unused_piece(x):
    a, b = np.split(x, 2, axis=0)
    return np.sum(W34[:2] * b ** 2)


SHAPES = [
    case(s_reshape, uniform((2, 6))), case(s_reshape_keyword, uniform((12,))),
    case(s_ravel, uniform((3, 4))), case(s_transpose, uniform((4, 3))),
    case(s_transpose_axes, uniform((3, 4, 2))), case(s_swapaxes, uniform((3, 2, 2))),
    case(s_moveaxis, uniform((2, 3, 4))), case(s_expand_dims, uniform((3, 4))),
    case(s_squeeze, uniform((3, 1, 4))), case(s_squeeze_axis, uniform((1, 4))),
    case(s_broadcast_to, uniform((4,)), id="s_broadcast_to-row"),
    case(s_broadcast_to, uniform((3, 1)), id="s_broadcast_to-column"),
    case(s_tile, uniform((1, 2))), case(s_repeat, uniform((3, 2))),
    case(s_repeat_flat, uniform((2, 2))),
    case(s_concatenate, uniform((1, 4)), uniform((2, 4)), wrt=(0, 1)),
    case(s_concatenate_axis1, uniform((3, 1)), uniform((3, 3)), wrt=(0, 1)),
    case(s_stack, uniform((3, 4)), uniform((3, 4)), wrt=(0, 1)),
    case(s_stack_axis, uniform((3, 4)), uniform((3, 4)), wrt=(0, 1)),
    case(s_hstack, uniform((1,)), uniform((3,)), wrt=(0, 1)),
    case(s_vstack, uniform((4,)), uniform((2, 4)), wrt=(0, 1)),
    case(s_split, uniform((3, 4))), case(s_split_indices_axis, uniform((3, 4))),
    case(s_split_unused_piece, uniform((4, 4))),
    case(s_flip, uniform((3, 4))), case(s_flip_axis, uniform((3, 4))),
    case(s_roll, uniform((3, 4))), case(s_roll_axis, uniform((3, 4))),
    case(s_atleast_1d, 1.3, id="s_atleast_1d-python-float"),
    case(s_atleast_1d, np.array(1.3), id="s_atleast_1d-0d"),
    case(s_atleast_2d, uniform((4,))),
]


@run_cases(SHAPES)
def test_shape_and_joining(function, args, wrt):
    check(function, *args, wrt=wrt)


# Array methods and attributes


def m_flatten(x): return np.sum(W34.ravel() * x.flatten() ** 2)
def m_ravel(x): return np.sum(W34.ravel() * x.ravel() ** 2)
def m_reshape_args(x): return np.sum(W34[:2, :3] * x.reshape(2, 3) ** 2)
def m_reshape_tuple(x): return np.sum(W34[:2, :3] * x.reshape((2, 3)) ** 2)
def m_reshape_minus_one(x): return np.sum(W34[:2, :3] * x.reshape(-1, 3) ** 2)
def m_T(x): return np.sum(W34 * x.T ** 2)
def m_transpose(x): return np.sum(W34 * x.transpose() ** 2)
def m_transpose_args(x): return np.sum(W34 * x.transpose(1, 0) ** 2)
def m_transpose_tuple(x): return np.sum(W34 * x.transpose((1, 0)) ** 2)
def m_sum_axis(x): return np.sum(W34[0] * x.sum(axis=0) ** 2)
def m_sum_positional_axis(x): return np.sum(W34[0] * x.sum(0) ** 2)
def m_mean(x): return x.mean() ** 2
def m_max(x): return x.max() ** 2
def m_min_axis(x): return np.sum(W34[0] * x.min(axis=0))
def m_prod(x): return x.prod()
def m_var(x): return x.var(axis=1).sum()
def m_dot(x, y): return np.sum(W34[:2, :3] * x.dot(y))
def m_copy(x): return np.sum(W34 * x.copy() ** 2)
def m_astype(x): return np.sum(W34 * x.astype(np.float64) ** 2)
def m_astype_string(x): return np.sum(W34 * x.astype("float64") ** 2)
def m_squeeze(x): return np.sum(W34 * x.squeeze() ** 2)
def m_swapaxes(x): return np.sum(W34 * x.swapaxes(0, 1) ** 2)
def m_repeat(x): return np.sum(W34 * x.repeat(2, axis=1) ** 2)
def m_diagonal(x): return np.sum(W34[0, :3] * x.diagonal() ** 2)
def m_trace(x): return x.trace() ** 2
def m_take(x): return np.sum(W34[0, :3] * x.take([2, 0, 2]) ** 2)
def m_chain(x): return np.sum(W34 * x.reshape(4, 3).T.copy() ** 2)


METHODS = [
    case(m_flatten, uniform((3, 4))), case(m_ravel, uniform((3, 4))),
    case(m_reshape_args, uniform((6,))), case(m_reshape_tuple, uniform((3, 2))),
    case(m_reshape_minus_one, uniform((6,))),
    case(m_T, uniform((4, 3))), case(m_transpose, uniform((4, 3))),
    case(m_transpose_args, uniform((4, 3))),
    case(m_transpose_tuple, uniform((4, 3))),
    case(m_sum_axis, uniform((3, 4))), case(m_sum_positional_axis, uniform((3, 4))),
    case(m_mean, uniform((3, 4))), case(m_max, uniform((3, 4))),
    case(m_min_axis, uniform((3, 4))), case(m_prod, uniform((3, 4))),
    case(m_var, uniform((3, 4))),
    case(m_dot, uniform((2, 4)), uniform((4, 3)), wrt=(0, 1)),
    case(m_copy, uniform((3, 4))), case(m_astype, uniform((3, 4))),
    case(m_astype_string, uniform((3, 4))),
    case(m_squeeze, uniform((3, 1, 4))), case(m_swapaxes, uniform((4, 3))),
    case(m_repeat, uniform((3, 2))), case(m_diagonal, uniform((3, 4))),
    case(m_trace, uniform((3, 3))), case(m_take, uniform((2, 3))),
    case(m_chain, uniform((3, 4))),
]


@run_cases(METHODS)
def test_array_methods_and_attributes(function, args, wrt):
    check(function, *args, wrt=wrt)


# ==============================================================================================
# Indexing


def i_integer(x): return np.sin(x[1]) * x[-1]
def i_integer_2d(x): return x[1, 2] * x[0, -1] + x[2][0] ** 2
def i_row(x): return np.sum(W34[0] * x[1] ** 2)
def i_slice(x): return np.sum(W34[0, :2] * x[1:3] ** 2)
def i_slice_2d(x): return np.sum(W34[:2, :2] * x[1:, ::2] ** 2)
def i_negative_step(x): return np.sum(W34[0] * x[::-1] ** 2)
def i_negative_step_2d(x): return np.sum(W34[:2, :2] * x[::-2, 3:0:-2] ** 2)
def i_ellipsis(x): return np.sum(W34[:2, :3] * x[..., 1] ** 2)
def i_ellipsis_front(x): return np.sum(W34[:2, :3] * x[1, ...] ** 2)
def i_none(x): return np.sum(x[:3, None] * W34 * x[None, :4])
def i_newaxis(x): return np.sum(W34 * x[np.newaxis, :] ** 2)
def i_fancy_repeated(x): return np.sum(W34[0] * x[[0, 2, 0, 0]] ** 2)
def i_fancy_array(x): return np.sum(W34[0] * x[np.array([3, 1, 3, 3])] ** 2)
def i_fancy_2d(x): return np.sum(W34[0, :3] * x[[0, 1, 0], [2, 2, 2]] ** 2)
def i_fancy_rows(x): return np.sum(W34[:3] * x[[1, 1, 0]] ** 2)
def i_bool_computed(x): return np.sum(x[x > 1.0] ** 2)
def i_bool_constant(x): return np.sum(x[np.array([True, False, True, True, False])] ** 3)
def i_take(x): return np.sum(W34[0, :3] * np.take(x, [2, 0, 2]) ** 2)
def i_take_axis(x): return np.sum(W34[:, :3] * np.take(x, [1, 1, 0], axis=1) ** 2)
def i_index_variable(x, i): return x[i] ** 3


INDEXING = [
    case(i_integer, uniform((5,))), case(i_integer_2d, uniform((3, 4))),
    case(i_row, uniform((3, 4))), case(i_slice, uniform((5,))),
    case(i_slice_2d, uniform((3, 4))), case(i_negative_step, uniform((4,))),
    case(i_negative_step_2d, uniform((4, 4))), case(i_ellipsis, uniform((2, 3, 2))),
    case(i_ellipsis_front, uniform((2, 2, 3))), case(i_none, uniform((4,))),
    case(i_newaxis, uniform((4,))),
    case(i_fancy_repeated, uniform((4,))), case(i_fancy_array, uniform((4,))),
    case(i_fancy_2d, uniform((2, 3))), case(i_fancy_rows, uniform((2, 4))),
    case(i_bool_computed, _away_from(uniform((3, 4)), [1.0])),
    case(i_bool_constant, uniform((5,))), case(i_take, uniform((4,))),
    case(i_take_axis, uniform((3, 2))), case(i_index_variable, uniform((4,)), 2),
]


@run_cases(INDEXING)
def test_indexing(function, args, wrt):
    check(function, *args, wrt=wrt)


def count_fancy(x): return np.sum(x[[0, 2, 0, 0]])
def count_fancy_array(x): return np.sum(x[np.array([1, 1, 3])])
def count_fancy_2d(x): return np.sum(x[[0, 1, 0], [2, 2, 2]])
def count_take(x): return np.sum(np.take(x, [2, 0, 2, 2]))
def count_take_method(x): return np.sum(x.take([1, 1]))


@pytest.mark.parametrize("function, shape, expected", [
    (count_fancy, (4,), [3.0, 0.0, 1.0, 0.0]),
    (count_fancy_array, (4,), [0.0, 2.0, 0.0, 1.0]),
    (count_fancy_2d, (2, 3), [[0.0, 0.0, 2.0], [0.0, 0.0, 1.0]]),
    (count_take, (3,), [1.0, 0.0, 3.0]),
    (count_take_method, (3,), [0.0, 2.0, 0.0]),
])
def test_repeated_indices_accumulate(function, shape, expected):
    np.testing.assert_array_equal(grad(function)(uniform(shape)), expected)


def test_boolean_mask_gradient_is_zero_off_the_mask():
    x = np.array([0.5, 2.0, 3.0, 0.1])
    np.testing.assert_array_equal(grad(i_bool_computed)(x), [0.0, 4.0, 6.0, 0.0])


# ==============================================================================================
# In-place element stores into arrays built in the function


def st_integer(x):
    y = np.zeros(3)
    y[0] = x[1] * 2.0
    y[2] = np.sin(x[0])
    return np.sum(y * y * np.array([1.0, 2.0, 3.0]))


def st_slice(x):
    y = np.zeros(5)
    y[1:3] = x[:2] ** 2
    y[3:] = x[1:]
    return np.sum(np.arange(1.0, 6.0) * y)


def st_augmented(x):
    y = np.ones(3)
    y[1] += x[0] * x[2]
    y[0] -= x[1] ** 2
    y[2] *= x[0]
    return np.sum(y * y * np.array([1.0, 2.0, 3.0]))


def st_copy(x):
    y = x.copy()
    y[0] = 2.0 * y[0]
    return np.sum(y * y * W34[0, :3])


def st_copy_function(x):
    y = np.copy(x)
    y[1:] = y[1:] * y[0]
    return np.sum(W34[0, :3] * y ** 2)


def st_overwrite_twice(x):
    y = np.zeros(2)
    y[0] = x[0] ** 2
    y[0] = x[1] * y[0]
    return y[0] + y[1]


def st_loop(x):
    y = np.zeros(4)
    for i in range(3):
        y[i + 1] = y[i] * x[i] + x[i]
    return np.sum(y * W34[0])


def st_loop_augmented(x):
    y = np.zeros_like(x)
    for i in range(3):
        y[i] += x[i] * x[i + 1]
    return np.sum(y ** 2)


def st_row_of_matrix(x):
    m = np.zeros((2, 3))
    m[0] = x
    m[1, :] = np.exp(x)
    m[:, 1] = m[:, 1] * x[0]
    return np.sum(W34[:2, :3] * m ** 2)


def st_fancy(x):
    y = np.zeros(4)
    y[[0, 2]] = x[:2] ** 2
    return np.sum(W34[0] * y)


def st_mask(x):
    y = np.zeros_like(x)
    y[x > 1.0] = x[x > 1.0] ** 2
    return np.sum(W34[0, :4] * y)


def st_swap(x):
    a = x * 1.0
    t = a[0]                            # an item of a vector: a copy
    a[0] = a[1]
    a[1] = t
    return np.sum(W34[0, :3] * a ** 2)


def st_rows_from_earlier_rows(x):
    h = np.zeros((4, 3))
    h[0] = x
    for t in range(1, 4):
        previous = h[t - 1]             # a view, read before the store that follows
        h[t] = np.tanh(previous * x + 0.1)
    return np.sum(h * h)


def st_view_copied(x):
    b = x * 2.0
    first = b[0:2].copy()
    b[0] = 0.0
    return np.sum(first * x[:2]) + np.sum(b)


def st_list_slice_same_length(x):
    xs = [x[0], x[1], x[2]]
    xs[0:2] = [x[1] * x[2], x[0]]
    return xs[0] * xs[1] + xs[2]


STORES = [
    case(st_swap, uniform((3,))), case(st_rows_from_earlier_rows, uniform((3,))),
    case(st_view_copied, uniform((3,))), case(st_list_slice_same_length, uniform((3,))),
    case(st_integer, uniform((3,))), case(st_slice, uniform((3,))),
    case(st_augmented, uniform((3,))), case(st_copy, uniform((3,))),
    case(st_copy_function, uniform((3,))), case(st_overwrite_twice, uniform((2,))),
    case(st_loop, uniform((3,))), case(st_loop_augmented, uniform((4,))),
    case(st_row_of_matrix, uniform((3,))), case(st_fancy, uniform((2,))),
    case(st_mask, _away_from(uniform((4,)), [1.0])),
]


@run_cases(STORES)
def test_element_stores(function, args, wrt):
    check(function, *args, wrt=wrt)


def test_store_exact_values():
    x = np.array([1.0, 2.0, 3.0])
    # y = [2 x1, 0, sin x0]; f = 4 x1^2 + 3 sin^2 x0
    np.testing.assert_allclose(grad(st_integer)(x),
                               [6.0 * np.sin(1.0) * np.cos(1.0), 16.0, 0.0], rtol=1e-12)
    # y = x.copy(); y[0] = 2 y[0]: f = w0 (2 x0)^2 + w1 x1^2 + w2 x2^2
    w = W34[0, :3]
    np.testing.assert_allclose(grad(st_copy)(x), [8.0 * w[0], 4.0 * w[1], 6.0 * w[2]],
                               rtol=1e-12)


def view_then_store(x, row):
    b = np.outer(x, x)
    v = b[row]                          # a row: a view of b
    b[row, 0] = 0.0
    return np.sum(v * v)


def test_a_view_read_after_its_array_changed_is_refused_when_it_is_a_view():
    with pytest.raises(chainrule.TransformError, match="this changes 'b' in place where 'v', a view of it"):
        grad(view_then_store)(np.array([1.0, 2.0]), 1)
    with pytest.raises(chainrule.TransformError, match="where 'first', a view of it made before"):
        grad(_slice_view_then_store)(np.array([1.0, 2.0, 3.0]))


def _slice_view_then_store(x):
    b = x * 1.0
    first = b[0:2]
    b += 1.0                            # in place on the array: the view sees it
    return np.sum(first * x[:2])


def store_into_argument(x):
    x[0] = 1.0
    return np.sum(x * x)


def store_into_argument_augmented(values):
    values[1:] += 1.0
    return np.sum(values * values)


@pytest.mark.parametrize("function, name", [(store_into_argument, "x"),
                                            (store_into_argument_augmented, "values")])
def test_storing_into_an_argument_is_refused(function, name):
    x = np.array([3.0, 4.0, 5.0])
    with pytest.raises(TransformError, match=rf"\b{name}\b"):
        grad(function)(x)
    np.testing.assert_array_equal(x, [3.0, 4.0, 5.0])


def test_callers_array_is_never_modified():
    for function in (st_copy, st_copy_function, st_integer, st_augmented):
        x = np.array([1.5, 0.5, 2.5])
        before = x.copy()
        grad(function)(x)
        grad(function)(x)
        np.testing.assert_array_equal(x, before)


# ==============================================================================================
# Linear algebra


def la_dot(a, b): return np.sum(W34[:2, :3] * np.dot(a, b))
def la_dot_vectors(a, b): return np.sin(np.dot(a, b))
def la_dot_matrix_vector(a, b): return np.sum(W34[0, :3] * np.dot(a, b))
def la_matmul(a, b): return np.sum(W34[:2, :3] * np.matmul(a, b))
def la_matmul_operator(a, b): return np.sum(W34[:2, :3] * (a @ b))
def la_matmul_vector(a, b): return np.sum(W34[0, :3] * (a @ b))
def la_matmul_batched(a, b): return np.sum(np.sin(a @ b))
def la_inner(a, b): return np.sum(W34[:2, :3] * np.inner(a, b))
def la_inner_vectors(a, b): return np.sin(np.inner(a, b))
def la_outer(a, b): return np.sum(W34[:3, :4] * np.outer(a, b))
def la_vdot(a, b): return np.sin(np.vdot(a, b))
def la_tensordot(a, b): return np.sum(W34[:2, :3] * np.tensordot(a, b, axes=([1, 2], [0, 1])))
def la_tensordot_int(a, b): return np.sum(W34[:2, :3] * np.tensordot(a, b, 1))
def la_einsum_matmul(a, b): return np.sum(W34[:2, :3] * np.einsum("ij,jk->ik", a, b))
def la_einsum_trace(a): return np.sin(np.einsum("ii->", a))
def la_einsum_column_sums(a): return np.sum(W34[0, :3] * np.einsum("ij->j", a) ** 2)
def la_einsum_dot(a, b): return np.sin(np.einsum("i,i->", a, b))
def la_trace(a): return np.sin(np.trace(a)) + np.trace(a @ a)
def la_diag_extract(a): return np.sum(W34[0, :3] * np.diag(a) ** 2)
def la_diag_build(v): return np.sum(W34[:3, :3] * np.diag(v) ** 2)
def la_diag_offset(v): return np.sum(W34 * np.diag(v, k=1)[:3, :4] ** 2)
def la_diagonal(a): return np.sum(W34[0, :2] * np.diagonal(a, offset=1) ** 2)
def la_triu(a): return np.sum(W34[:3, :3] * np.triu(a) ** 2)
def la_tril(a): return np.sum(W34[:3, :3] * np.tril(a, k=-1) ** 2)
def la_kron(a, b): return np.sum(np.sin(np.kron(a, b)))
def la_inv(a): return np.sum(W34[:3, :3] * np.linalg.inv(a))
def la_det(a): return np.linalg.det(a)
def la_slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return logdet
def la_solve(a, b): return np.sum(W34[0, :3] * np.linalg.solve(a, b))
def la_solve_matrix(a, b): return np.sum(W34[:3, :2] * np.linalg.solve(a, b))


def la_cholesky(a):
    n = a.shape[0]
    spd = a @ a.T + n * np.eye(n)
    return np.sum(W34[:3, :3] * np.linalg.cholesky(spd))


def la_eigh(a):
    sym = a + a.T
    w, v = np.linalg.eigh(sym)
    return np.sum(np.array([1.0, 2.0, 3.0]) * w)


def la_eigvalsh(a):
    sym = a @ a.T
    return np.sum(np.array([1.0, -2.0, 3.0]) * np.linalg.eigvalsh(sym))


def la_slogdet_spd(a):
    spd = a @ a.T + 3 * np.eye(3)
    sign, logdet = np.linalg.slogdet(spd)
    return logdet * sign


WELL_CONDITIONED = np.eye(3) * 2.0 + uniform((3, 3), -0.5, 0.5)

LINALG = [
    case(la_dot, uniform((2, 4)), uniform((4, 3)), wrt=(0, 1)),
    case(la_dot_vectors, uniform((4,)), uniform((4,)), wrt=(0, 1)),
    case(la_dot_matrix_vector, uniform((3, 4)), uniform((4,)), wrt=(0, 1)),
    case(la_matmul, uniform((2, 4)), uniform((4, 3)), wrt=(0, 1)),
    case(la_matmul_operator, uniform((2, 4)), uniform((4, 3)), wrt=(0, 1)),
    case(la_matmul_vector, uniform((3, 4)), uniform((4,)), wrt=(0, 1)),
    case(la_matmul_batched, uniform((2, 2, 3)), uniform((3, 2)), wrt=(0, 1)),
    case(la_inner, uniform((2, 4)), uniform((3, 4)), wrt=(0, 1)),
    case(la_inner_vectors, uniform((4,)), uniform((4,)), wrt=(0, 1)),
    case(la_outer, uniform((3,)), uniform((4,)), wrt=(0, 1)),
    case(la_vdot, uniform((2, 3)), uniform((2, 3)), wrt=(0, 1)),
    case(la_tensordot, uniform((2, 2, 3)), uniform((2, 3, 3)), wrt=(0, 1)),
    case(la_tensordot_int, uniform((2, 4)), uniform((4, 3)), wrt=(0, 1)),
    case(la_einsum_matmul, uniform((2, 4)), uniform((4, 3)), wrt=(0, 1)),
    case(la_einsum_trace, uniform((3, 3))),
    case(la_einsum_column_sums, uniform((2, 3))),
    case(la_einsum_dot, uniform((4,)), uniform((4,)), wrt=(0, 1)),
    case(la_trace, uniform((3, 3))),
    case(la_diag_extract, uniform((3, 3))), case(la_diag_build, uniform((3,))),
    case(la_diag_offset, uniform((4,))), case(la_diagonal, uniform((3, 3))),
    case(la_triu, uniform((3, 3))), case(la_tril, uniform((3, 3))),
    case(la_kron, uniform((2, 2)), uniform((2, 3)), wrt=(0, 1)),
    case(la_inv, WELL_CONDITIONED), case(la_det, WELL_CONDITIONED),
    case(la_slogdet, WELL_CONDITIONED),
    case(la_slogdet, -WELL_CONDITIONED, id="la_slogdet-negative-det"),
    case(la_slogdet_spd, uniform((3, 3))),
    case(la_solve, WELL_CONDITIONED, uniform((3,)), wrt=(0, 1)),
    case(la_solve_matrix, WELL_CONDITIONED, uniform((3, 2)), wrt=(0, 1)),
    case(la_cholesky, uniform((3, 3))),
    case(la_eigh, np.diag([1.0, 3.0, 5.0]) + uniform((3, 3), -0.3, 0.3)),
    case(la_eigvalsh, np.diag([1.0, 2.0, 3.0]) + uniform((3, 3), -0.2, 0.2)),
]


@run_cases(LINALG)
def test_linear_algebra(function, args, wrt):
    check(function, *args, wrt=wrt)


# ==============================================================================================
# Constructors as constants, and np.array of active elements


def c_zeros_ones(x): return np.sum((x + np.ones(3)) ** 2 + np.zeros((2, 3)) * x)
def c_eye(x): return np.sum(W34[:3, :3] * (x + 2.0 * np.eye(3)) @ x)
def c_arange(x): return np.sum(np.arange(4) * x ** 2 + np.arange(1.0, 3.0, 0.5) * x)
def c_linspace(x): return np.sum(np.linspace(0.0, 1.0, 4) * np.sin(x))
def c_full(x): return np.sum(np.full((2, 4), 3.0) * x ** 2)
def c_like(x):
    return np.sum((np.ones_like(x) + np.zeros_like(x)) * x ** 2 + np.full_like(x, 2.0) * x)


def c_empty_like_overwritten(x):
    y = np.empty_like(x)
    y[:] = x ** 2
    return np.sum(W34[0] * y)


def c_linspace_active(a, b): return np.sum(W34[0] * np.linspace(a, b, 4) ** 2)
def c_full_active(v): return np.sum(W34 * np.full((3, 4), v) ** 2)


def c_array_of_scalars(x):
    v = np.array([x[0] * x[1], np.sin(x[2]), 3.0])
    return np.sum(W34[0, :3] * v ** 2)


def c_array_of_arguments(a, b, c):
    v = np.array([a, b * b, c])
    return np.sum(W34[0, :3] * v ** 2)


def c_array_nested(a, b):
    m = np.array([[a, b], [b * a, 1.0]])
    return np.sum(W34[:2, :2] * m ** 2)


def c_array_of_arrays(x, y):
    m = np.array([x, 2.0 * y, x * y])
    return np.sum(W34[:3] * m ** 2)


def c_array_with_dtype(x):
    m = np.array([x[0], x[1] ** 2], dtype=np.float64)
    return np.sum(m * np.array([2.0, 3.0]))


def c_asarray(x): return np.sum(W34[0] * np.asarray(x) ** 2)


CONSTRUCTORS = [
    case(c_zeros_ones, uniform((3,))), case(c_eye, uniform((3, 3))),
    case(c_arange, uniform((4,))), case(c_linspace, uniform((4,))),
    case(c_full, uniform((4,))), case(c_like, uniform((2, 3))),
    case(c_empty_like_overwritten, uniform((4,))),
    case(c_linspace_active, 0.3, 1.7, wrt=(0, 1)),
    case(c_linspace_active, np.float64(0.3), np.array(1.7), wrt=(0, 1),
         id="c_linspace_active-numpy"),
    case(c_full_active, 0.7, id="c_full_active-python-float"),
    case(c_full_active, np.array(0.7), id="c_full_active-0d"),
    case(c_array_of_scalars, uniform((3,))),
    case(c_array_of_arguments, 0.5, 1.5, -0.7, wrt=(0, 1, 2)),
    case(c_array_of_arguments, np.float64(0.5), np.float64(1.5), np.float64(-0.7),
         wrt=(0, 1, 2), id="c_array_of_arguments-numpy-scalars"),
    case(c_array_nested, 0.5, 1.5, wrt=(0, 1)),
    case(c_array_of_arrays, uniform((4,)), uniform((4,)), wrt=(0, 1)),
    case(c_array_with_dtype, uniform((2,))),
    case(c_asarray, uniform((4,))),
]


@run_cases(CONSTRUCTORS)
def test_constructors(function, args, wrt):
    check(function, *args, wrt=wrt)


# ==============================================================================================
# dtypes


def dt_model(x, w):
    return np.sum(np.tanh(x @ w) ** 2) + np.mean(np.exp(-x))


def dt_elementwise(x):
    return np.sum(np.sin(x) * x)


def dt_scalar(x):
    return np.sin(x) * x + np.sqrt(x)


def test_float32_inputs_give_float32_gradients():
    x = uniform((3, 4)).astype(np.float32)
    w = uniform((4, 2)).astype(np.float32)
    gx, gw = grad(dt_model, wrt=(0, 1))(x, w)
    assert gx.dtype == np.float32 and gw.dtype == np.float32
    assert gx.shape == x.shape and gw.shape == w.shape
    expected_x, expected_w = grad(dt_model, wrt=(0, 1))(x.astype(np.float64),
                                                        w.astype(np.float64))
    np.testing.assert_allclose(gx, expected_x, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(gw, expected_w, rtol=1e-4, atol=1e-6)
    assert x.dtype == np.float32
    g = grad(dt_elementwise)(np.float32(0.5))
    assert type(g) is np.float32


def test_integer_arrays_give_float64_gradients():
    x = np.array([1, 2, 3])
    g = grad(dt_elementwise)(x)
    assert g.dtype == np.float64 and g.shape == (3,)
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-12)
    assert x.dtype.kind == "i"
    check(dt_elementwise, x)
    gx, gw = grad(dt_model, wrt=(0, 1))(np.array([[1, 2], [0, 1]]), uniform((2, 3)))
    assert gx.dtype == np.float64 and gw.dtype == np.float64


def test_python_scalars_give_python_floats():
    assert type(grad(dt_scalar)(0.7)) is float
    assert type(grad(dt_scalar)(2)) is float
    assert grad(dt_scalar)(2) == pytest.approx(np.cos(2.0) * 2.0 + np.sin(2.0)
                                               + 0.5 / np.sqrt(2.0), rel=1e-12)
    check(dt_scalar, 0.7)
    assert type(grad(c_array_of_arguments, wrt=(0, 1, 2))(0.5, 1.5, -0.7)[1]) is float


def test_complex_arrays_are_refused():
    with pytest.raises(TypeError, match="complex"):
        grad(dt_elementwise)(np.array([1.0 + 2.0j, 3.0]))


# ==============================================================================================
# Keywords chainrule cannot honour


def kw_out(x):
    y = np.zeros(3)
    np.sin(x, out=y)
    return np.sum(y)


def kw_out_assigned(x):
    y = np.zeros(3)
    z = np.multiply(x, x, out=y)
    return np.sum(z)


def kw_where(x):
    return np.sum(x, where=x > 0.5)


def kw_initial(x):
    return np.max(x, initial=0.0)


@pytest.mark.parametrize("function, keyword", [(kw_out, "out"), (kw_out_assigned, "out"),
                                               (kw_where, "where"), (kw_initial, "initial")])
def test_unsupported_keywords_are_refused_by_name(function, keyword):
    x = np.array([0.2, 0.7, 1.1])
    with pytest.raises(TransformError, match=rf"\b{keyword}\b"):
        grad(function)(x)
    np.testing.assert_array_equal(x, [0.2, 0.7, 1.1])


def mut_positional_out(x):
    y = np.zeros(3)
    np.sin(x, y)
    return np.sum(W34[0, :3] * y)


def mut_sort_method(x):
    y = x * 1.0
    y.sort()
    return y[0] * 10.0 + y[2]


def mut_fill_method(x):
    y = np.zeros(3)
    y.fill(x[0])
    return np.sum(y * y)


def mut_copyto(x):
    y = np.zeros(3)
    np.copyto(y, x)
    return np.sum(W34[0, :3] * y ** 2)


def mut_ufunc_at(x):
    y = np.zeros(3)
    np.add.at(y, [0, 0], x[:2])
    return np.sum(W34[0, :3] * y ** 2)


@pytest.mark.parametrize("function", [
    mut_positional_out, mut_copyto, mut_ufunc_at, mut_sort_method, mut_fill_method])
def test_calls_that_write_into_a_local_array_are_differentiated_or_refused(function):
    """Never a silently wrong gradient: either the write is differentiated or refused."""
    x = np.array([0.9, 0.3, 0.5])
    try:
        check(function, x)
    except TransformError:
        pass


# ==============================================================================================
# Positional and keyword binding of NumPy parameters


def bind_sum_positional_axis(x): return np.sum(np.sin(np.sum(x, 0)))
def bind_mean_positional_keepdims(x): return np.sum(np.sin(np.mean(x, -1, keepdims=True)))
def bind_clip_keywords_reordered(x): return np.sum(W34 * np.clip(x, a_max=1.2, a_min=0.8) ** 2)
def bind_norm_positional_axis(x): return np.sum(np.sin(np.linalg.norm(x, None, 1)))
def bind_transpose_axes_keyword(x):
    return np.sum(np.sin(np.transpose(x[None], axes=(1, 0, 2))))


def bind_repeat_keywords(x): return np.sum(np.sin(np.repeat(x, repeats=2, axis=0)))
def bind_einsum_implicit_output(a, b): return np.sum(np.sin(np.einsum("ij,jk", a, b)))
def bind_take_keywords(x): return np.sum(np.sin(np.take(x, indices=[0, 0, 2], axis=0)))
def bind_tensordot_axes_keyword(a, b): return np.sum(np.sin(np.tensordot(a, b, axes=1)))
def bind_average_positional(x, w): return np.sum(np.sin(np.average(x, 0, w)))
def bind_cumsum_positional(x): return np.sum(np.sin(np.cumsum(x, 1)))
def bind_var_positional_axis(x): return np.sum(np.sin(np.var(x, 0, ddof=1)))
def bind_max_method_keepdims(x): return np.sum(np.sin(x.max(axis=0, keepdims=True)))
def bind_sum_method_tuple(x): return np.sum(np.sin(x.sum(axis=(0, 1))))


def bind_split_keywords(x):
    a, b = np.split(x, indices_or_sections=2, axis=1)
    return np.sum(a * b ** 2)


def bind_stack_list_built_in_loop(x):
    rows = []
    for i in range(3):
        rows.append(x[i] * (i + 1.0))
    return np.sum(np.sin(np.stack(rows)))


def bind_fancy_then_fancy(x): return np.sum(np.sin(x[[0, 2]][:, [1, 1, 3]]))
def bind_mask_rows(x): return np.sum(np.sin(x[x[:, 0] > 1.0, 1:]))
def bind_index_arrays(x): return np.sum(np.sin(x[np.arange(3), np.array([1, 3, 1])]))
def bind_centred_norm(x): return np.linalg.norm(x - x.mean(axis=0))
def bind_gram(x): return np.sum(np.sin(x.T.dot(x))) + np.linalg.det(x.T @ x / 4.0)


X34 = uniform((3, 4))
BINDING = [
    case(bind_sum_positional_axis, X34), case(bind_mean_positional_keepdims, X34),
    case(bind_clip_keywords_reordered, CLIP_X), case(bind_norm_positional_axis, X34),
    case(bind_transpose_axes_keyword, X34), case(bind_repeat_keywords, X34),
    case(bind_einsum_implicit_output, uniform((2, 4)), uniform((4, 3)), wrt=(0, 1)),
    case(bind_take_keywords, X34),
    case(bind_tensordot_axes_keyword, uniform((2, 4)), uniform((4, 3)), wrt=(0, 1)),
    case(bind_average_positional, X34, uniform((3,)), wrt=(0, 1)),
    case(bind_cumsum_positional, X34), case(bind_var_positional_axis, X34),
    case(bind_max_method_keepdims, X34), case(bind_sum_method_tuple, X34 / 4.0),
    case(bind_split_keywords, X34), case(bind_stack_list_built_in_loop, X34),
    case(bind_fancy_then_fancy, X34),
    case(bind_mask_rows, _away_from(X34, [1.0])), case(bind_index_arrays, X34),
    case(bind_centred_norm, X34), case(bind_gram, uniform((4, 2))),
]


@run_cases(BINDING)
def test_positional_and_keyword_binding(function, args, wrt):
    check(function, *args, wrt=wrt)


# ==============================================================================================
# The same functions with float32 and integer inputs


def _by_id(cases, *ids):
    found = {c.id: c for c in cases}
    return [found[i] for i in ids]


def _converted(param, convert, suffix):
    function, args, wrt = param.values
    return pytest.param(function, tuple(convert(a) for a in args), wrt,
                        id=f"{param.id}-{suffix}", marks=param.marks)


FLOAT32 = [_converted(c, lambda a: a.astype(np.float32) if isinstance(a, np.ndarray) else a,
                      "float32")
           for c in (_by_id(UNARY, "u_sin", "u_log", "u_sqrt", "u_tanh")
                     + _by_id(BINARY, "b_hypot-row-matrix", "b_logaddexp-column-row",
                              "b_power-matrix-scalar", "b_maximum-matrix-row")
                     + _by_id(REDUCTIONS, "red_std_ddof-axis=(0, 2)-keepdims=False",
                              "red_max-axis=0-keepdims=False",
                              "red_norm-axis=1-keepdims=True")
                     + _by_id(LINALG, "la_inv", "la_slogdet", "la_solve", "la_cholesky",
                              "la_eigh", "la_matmul_operator")
                     + _by_id(INDEXING, "i_fancy_repeated", "i_bool_computed", "i_take_axis")
                     + _by_id(STORES, "st_integer", "st_slice", "st_copy", "st_augmented")
                     + _by_id(CONSTRUCTORS, "c_array_of_arrays", "c_array_of_scalars")
                     + _by_id(METHODS, "m_flatten", "m_T", "m_dot"))]


@run_cases(FLOAT32)
def test_float32_inputs(function, args, wrt):
    check(function, *args, wrt=wrt)


def int_sin(x): return np.sum(W34 * np.sin(x))
def int_mean(x): return np.sum(np.sin(np.mean(x, axis=0)))
def int_fancy(x): return np.sum(W34[0] * x[[0, 2, 0, 0]] ** 2)
def int_dot(a, b): return np.sum(np.sin(a.dot(b)))
def int_array_of_arrays(x, y): return np.sum(np.sin(np.array([x, 2 * y, x * y])))


def int_copy_store(x):
    y = x.astype(np.float64)
    y[0] = 2.5 * y[0]
    return np.sum(W34[0, :3] * y ** 2)


INTEGERS = [
    case(int_sin, RNG.integers(-3, 4, (3, 4))),
    case(int_mean, RNG.integers(-3, 4, (3, 4))),
    case(int_fancy, RNG.integers(1, 5, (4,))),
    case(int_dot, RNG.integers(-2, 3, (2, 3)), RNG.integers(-2, 3, (3, 2)), wrt=(0, 1)),
    case(int_array_of_arrays, np.array([1, 2, 3]), np.array([-1, 0, 2]), wrt=(0, 1)),
    case(int_copy_store, np.array([1, -2, 3])),
    case(la_inv, np.array([[3, 1, 0], [1, 3, 1], [0, 1, 3]]), id="la_inv-int"),
    case(la_det, np.array([[3, 1, 0], [1, 3, 1], [0, 1, 3]]), id="la_det-int"),
]


@run_cases(INTEGERS)
def test_integer_inputs(function, args, wrt):
    gradients = check(function, *args, wrt=wrt)
    for gradient in (gradients,) if isinstance(wrt, int) else gradients:
        assert gradient.dtype == np.float64


# ==============================================================================================
# Generated code


def test_generated_code_compiles_without_warnings():
    def transposed(x):
        return np.sum(W34 * x.transpose(1, 0) ** 2)

    chainrule.clear_cache()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad(transposed)(uniform((4, 3)))


def test_generated_source_of_a_store_reparses():
    text = grad(st_copy).source_for(uniform((3,)))
    ast.parse(text)
    assert "x_bar" in text
