"""Calls into user functions, nested functions, containers and in-place stores."""

import math

import numpy as np
import pytest

import chainrule
from chainrule import TransformError, check_grad, grad


# -- calls into other functions ------------------------------------------------------------

def scaled_square(v, scale=2.0, *, shift=0.0):
    return scale * v * v + shift


def calls_with_keywords(x, y):
    return scaled_square(x) + scaled_square(y, scale=3.0, shift=x) + scaled_square(*(x, y))


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def calls_recursively(x):
    return power(x, 5) + power(math.sin(x), 2)


def halve_until_small(x):
    if x < 1.0:
        return x * x
    return halve_until_small(x / 2.0) + x


def layer(W, h):
    return np.tanh(W @ h)


def two_layers(W1, W2, x):
    return np.sum(layer(W2, layer(W1, x)) ** 2)


def helper_in_loop(x):
    total = 0.0
    for i in range(4):
        total = total + scaled_square(x * i, scale=0.5)
    return total


@pytest.mark.parametrize("function, args, wrt", [
    (calls_with_keywords, (0.7, -1.3), (0, 1)),
    (calls_recursively, (0.9,), 0),
    (halve_until_small, (0.5,), 0),
    (halve_until_small, (7.0,), 0),
    (helper_in_loop, (0.3,), 0),
    (two_layers, (np.linspace(-1, 1, 12).reshape(4, 3), np.linspace(0.5, -0.5, 8).reshape(2, 4),
                  np.array([0.3, -0.2, 0.9])), (0, 1, 2)),
])
def test_calls_match_finite_differences(function, args, wrt):
    assert check_grad(function, *args, wrt=wrt) <= 1.0


def test_each_helper_has_its_own_readable_pair_shown_by_source():
    source = grad(calls_recursively).source_for(0.9)
    assert "power_forward(" in source and "def power_forward(x, n):" in source
    assert "def power_backward(tape, out_bar):" in source


def test_recursion_depth_follows_the_value():
    assert grad(halve_until_small)(0.5) == pytest.approx(1.0)
    # 7 -> 3.5 -> 1.75 -> 0.875: d/dx = (1/8)^2 * 2 * 0.875 * ... checked numerically
    assert check_grad(halve_until_small, 7.0) <= 1.0


# -- nested functions ----------------------------------------------------------------------

def nested_functions(x, w):
    def affine(v, bias=0.5):
        return v * w + bias

    cube = lambda v: v * v * v  # noqa: E731
    return affine(x) * cube(x) + affine(cube(w), bias=x)


def test_nested_def_and_lambda_close_over_the_caller():
    assert check_grad(nested_functions, 0.8, -1.2, wrt=(0, 1)) <= 1.0


# -- lists, dicts, stores ------------------------------------------------------------------

def list_building(x):
    values = []
    for i in range(4):
        values.append(x ** i)
    values.extend([x * 2.0, x * 3.0])
    squares = [v * v for v in values if v > 0.1]
    return sum(squares) + values[-1] * len(values)


def dict_building(x, y):
    parts = {"a": x, "b": y * 2.0}
    parts["c"] = parts["a"] * parts["b"]
    parts["a"] = parts["a"] + 1.0
    scaled = {key: value * 2.0 for key, value in zip(("p", "q"), (x, y))}
    return parts["a"] * parts["c"] + scaled["q"]


def array_stores(x):
    y = np.zeros(5)
    for i in range(5):
        y[i] = x[i % len(x)] * (i + 1.0)
    y[1:3] += np.sin(x[:2])
    z = x.copy()
    z[0] = z[0] * 3.0
    return np.sum(y * y) + np.sum(z * x)


def list_argument(xs):
    return xs[0] * xs[1] + sum(xs)


@pytest.mark.parametrize("function, args, wrt", [
    (list_building, (0.6,), 0),
    (dict_building, (0.4, 1.7), (0, 1)),
    (array_stores, (np.array([0.3, -0.8, 1.1]),), 0),
])
def test_containers_match_finite_differences(function, args, wrt):
    assert check_grad(function, *args, wrt=wrt) <= 1.0


def test_list_argument_gets_a_list_gradient():
    g = grad(list_argument)([1.0, 2.0, 3.0])
    assert isinstance(g, list) and g == [3.0, 2.0, 1.0]


def test_stores_never_touch_the_callers_array():
    x = np.array([0.3, -0.8, 1.1])
    before = x.copy()
    grad(array_stores)(x)
    assert np.array_equal(x, before)


def test_storing_into_an_argument_or_a_view_is_refused():
    def into_argument(x):
        x[0] = 0.0
        return np.sum(x)

    def into_view(x):
        y = x[1:]
        y[0] = 0.0
        return np.sum(x)

    with pytest.raises(TransformError, match="argument 'x'"):
        grad(into_argument)
    with pytest.raises(TransformError, match="may be a view"):
        grad(into_view)


def test_in_place_methods_are_refused():
    def sorts(x):
        y = x * 1.0
        y.sort()
        return y[0]

    with pytest.raises(TransformError, match=r"\.sort\(\) changes 'y' in place"):
        grad(sorts)


def test_cache_reuses_helper_pairs():
    chainrule.clear_cache()
    grad(helper_in_loop)(0.3)
    misses = chainrule.cache_info().misses
    grad(helper_in_loop)(0.4)
    assert chainrule.cache_info().misses == misses


# -- what a function of yours returns may be its argument ----------------------------------------

def returns_its_argument(a):
    return a


def first_row_of(a):
    return a[0]


def fresh_scaled(a):
    return a * 2.0


def zeros_of(n):
    return np.zeros(n)


def store_into_returned_argument(x):
    b = x * 2.0
    c = returns_its_argument(b)
    c[0] = 5.0
    return np.sum(b * x)


def row_read_after_store(x):
    b = np.outer(x, x)
    r = first_row_of(b)
    b[0, 0] = 7.0
    return np.sum(r * x)


def store_into_fresh_results(x):
    c = fresh_scaled(x)
    c[0] = c[1] * x[0]
    z = zeros_of(len(x))
    z[1] = x[1] ** 2
    return np.sum(c * z) + np.sum(c)


def test_a_result_that_shares_an_arguments_memory_is_refused_when_stored_into_or_stale():
    x = np.array([1.0, 2.0])
    with pytest.raises(TransformError, match="'c' shares its memory with 'b'"):
        grad(store_into_returned_argument)(x)
    with pytest.raises(TransformError, match="this changes 'b' in place where 'r', a view of it"):
        grad(row_read_after_store)(x)


def test_stores_into_new_arrays_your_functions_return_are_followed():
    check_grad(store_into_fresh_results, np.array([0.7, -1.3, 0.4]))
