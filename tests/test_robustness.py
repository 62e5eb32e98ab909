"""Functions from notebooks, NaN and infinity, warnings, threads."""

import linecache
import math
import warnings

import numpy as np
import pytest

import chainrule
from chainrule import grad


def notebook_function(source: str, name: str, cell: int = 7):
    """Define a function the way IPython does: source registered in linecache under a cell
    name, code compiled with that name."""
    filename = f"<ipython-input-{cell}-0123456789ab>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np, "math": math}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def test_function_defined_in_a_notebook_cell():
    f = notebook_function("def f(x):\n    return np.sum(np.sin(x) * x)\n", "f")
    x = np.array([0.5, 1.5])
    assert np.allclose(grad(f)(x), np.cos(x) * x + np.sin(x))
    assert "<ipython-input-7" in grad(f).source_for(x) or "line 2" in grad(f).source_for(x)


def test_nan_and_infinity_propagate_as_the_math_implies():
    def root(x):
        return math.sqrt(x)

    assert grad(root)(0.0) == math.inf                  # d/dx sqrt(x) at 0
    assert math.isnan(grad(root)(math.nan))

    def total(x):
        return np.sum(x * x)

    g = grad(total)(np.array([1.0, np.inf, np.nan]))
    assert g[0] == 2.0 and g[1] == np.inf and np.isnan(g[2])


def test_no_warnings_on_ordinary_inputs():
    def f(x, y):
        z = np.log1p(np.exp(-np.abs(x))) + np.logaddexp(x, y) + np.tanh(x * y)
        if np.sum(z) > 0:
            z = z * 2.0
        return np.sum(z ** 2)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad(f, wrt=(0, 1))(np.array([-30.0, 0.5, 30.0]), np.array([1.0, -2.0, 3.0]))


def test_stable_rules_at_extreme_inputs():
    def softplus(x):
        return np.sum(np.logaddexp(0.0, x))

    x = np.array([-800.0, 0.0, 800.0])
    g = grad(softplus)(x)
    assert np.all(np.isfinite(g)) and np.allclose(g, [0.0, 0.5, 1.0])

    def saturated(x):
        return np.sum(np.tanh(x))

    assert np.allclose(grad(saturated)(np.array([-50.0, 50.0])), 0.0)


def power(x, b):
    return x ** b


def builtin_power(x, b):
    return pow(x, b)


def numpy_power(x, b):
    return np.sum(np.power(x, b))


def array_power(x, b):
    return np.sum(x ** b)


@pytest.mark.parametrize("function", [power, builtin_power])
@pytest.mark.parametrize("b, slope", [
    (0.0, 0.0), (0, 0.0),          # x ** 0 is 1 everywhere: no slope, also at 0
    (0.5, math.inf),               # the square root's infinite slope (Python raises there)
    (1.0, 1.0), (2.0, 0.0), (3, 0.0)])
def test_powers_at_zero_have_the_limits_numpy_gives(function, b, slope):
    assert grad(function)(0.0, b) == slope
    assert grad(function, wrt=1)(0.0, b) == 0.0     # log(0) taken as 0: 0 ** b is flat


def test_array_powers_at_zero_and_with_integer_bases():
    x = np.array([0.0, 0.0, 4.0])
    b = np.array([0.0, 0.5, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for function in (numpy_power, array_power):
            np.testing.assert_array_equal(grad(function)(x, b), [0.0, np.inf, 0.25])
            np.testing.assert_array_equal(grad(function)(x, 0.0), [0.0, 0.0, 0.0])
            np.testing.assert_array_equal(grad(function)(np.array([0, 2]), 0), [0.0, 0.0])
    chainrule.check_grad(array_power, np.array([0.5, 2.0]), np.array([0.3, -1.5]), wrt=(0, 1))


def test_a_constant_exponent_of_at_least_one_is_written_out():
    def square(x):
        return x ** 2

    def root(x):
        return x ** 0.5

    assert "out_bar * 2 * x" in grad(square).source_for(3.0), grad(square).source_for(3.0)
    assert "power_cotangent(out_bar, x, 0.5)" in grad(root).source_for(3.0)


# -- source blocks the indentation alone would cut short ------------------------------------------

def at_column_zero(x):
    note = """
a string continued at column 0
"""
    y = (x *
3.0)
# a comment at column 0
    return y * len(note)


def _decorate(**options):
    return lambda function: function


@_decorate(
    unused=True)
def decorated_over_two_lines(x):
    return x * x


def test_source_blocks_with_text_at_the_definition_level():
    assert grad(at_column_zero)(2.0) == 3.0 * len("\na string continued at column 0\n")
    assert grad(decorated_over_two_lines)(3.0) == 6.0


def test_source_block_matches_inspect():
    import inspect
    from chainrule.parsing import source_block
    for function in (at_column_zero, decorated_over_two_lines, _decorate, grad,
                     test_nan_and_infinity_propagate_as_the_math_implies):
        assert source_block(function.__code__) == inspect.getsourcelines(function.__code__)


def dot_with_a_list(v, x):
    return np.tanh(x @ v)


def test_a_list_operand_of_a_vector_product():
    # NumPy reads the list as an array; its adjoint must too (found by a helper's attack).
    chainrule.check_grad(dot_with_a_list, [0.5, -0.2, 0.1], np.array([0.3, 0.4, 0.5]), wrt=1)
    chainrule.check_grad(dot_with_a_list, np.array([0.5, -0.2, 0.1]), [0.3, 0.4, 0.5], wrt=0)


def filled_with(x):
    return np.sum(np.full(3, x) * np.array([1.0, 2.0, 3.0]))


def test_a_number_spread_by_np_full_gets_the_summed_gradient():
    # Beside only numbers, an operand was taken to need no unbroadcast: true of elementwise
    # operations, not of np.full, whose shape comes from another argument (a crash; found
    # by a helper's attack).
    assert grad(filled_with)(1.5) == 6.0
    chainrule.check_grad(filled_with, np.float64(1.5))


def stores_twice_at_one_position(a):
    b = np.zeros(3)
    b[[0, 0, 1]] += a[:3]       # NumPy keeps the last write to b[0]: a[1]
    return np.sum(b * np.array([1.0, 2.0, 3.0]))


def stores_twice_in_two_dimensions(a):
    b = np.zeros((2, 2))
    b[[0, 0], [1, 1]] = a[:2]
    return np.sum(b * 3.0)


def test_a_repeated_position_in_a_fancy_store_keeps_the_last_write():
    # Every write to a repeated position got the cotangent (found by a helper's attack).
    a = np.array([1.13, 2.37, 0.71, 0.4])
    np.testing.assert_array_equal(grad(stores_twice_at_one_position)(a), [0, 1, 2, 0])
    np.testing.assert_array_equal(grad(stores_twice_in_two_dimensions)(a), [0, 3, 0, 0])
    chainrule.check_grad(stores_twice_at_one_position, a)


def test_a_store_into_a_zero_dimensional_array():
    # Its cotangent may be a plain number (out_bar * 1.0), which item_cotangent indexes.
    def product(x):
        c = np.zeros(())
        c[()] = x[0] * x[1]
        return c * 1.0

    np.testing.assert_allclose(grad(product)(np.array([0.3, -0.7])), [-0.7, 0.3])
