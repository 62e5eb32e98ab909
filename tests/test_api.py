"""The public API: grad, value_and_grad, source, wrt handling, dtypes, errors."""

import inspect
import math

import numpy as np
import pytest

import chainrule
from chainrule import grad, value_and_grad


def poly(x):
    """A polynomial."""
    return 3 * x ** 2 - 4 * x + 5


def affine(a, b, c):
    return a * b + c


def test_seed_polynomial():
    assert grad(poly)(3.0) == 14.0


def test_seed_affine_all_parameters():
    assert grad(affine, wrt=("a", "b", "c"))(2.0, -3.0, 10.0) == (-3.0, 2.0, 1.0)


def test_decorator_forms():
    @grad
    def plain(x):
        return x * x

    @grad(wrt="y")
    def named(x, y):
        return x * y * y

    assert plain(3.0) == 6.0
    assert named(2.0, 3.0) == 12.0
    assert grad(affine, wrt=1)(2.0, -3.0, 10.0) == 2.0
    assert grad(affine, wrt=-1)(2.0, -3.0, 10.0) == 1.0


def test_tuple_wrt_keeps_the_order_asked_for():
    assert grad(affine, wrt=("c", 0))(2.0, -3.0, 10.0) == (1.0, -3.0)
    assert grad(affine, wrt=(1,))(2.0, -3.0, 10.0) == (2.0,)


def test_value_and_grad():
    value, gradient = value_and_grad(poly)(3.0)
    assert (value, gradient) == (poly(3.0), 14.0)
    value, gradients = value_and_grad(affine, wrt=("a", "b"))(2.0, -3.0, 10.0)
    assert value == 4.0 and gradients == (-3.0, 2.0)


def test_wrapper_keeps_name_doc_signature_and_exposes_source_and_primal():
    g = grad(poly)
    assert g.__name__ == "poly"
    assert g.__doc__ == "A polynomial."
    assert inspect.signature(g) == inspect.signature(poly)
    assert g.primal is poly
    g(1.0)
    assert g.source.startswith("def poly_grad(x):")
    assert chainrule.source(poly, 1.0) == g.source
    assert "x_bar" in chainrule.source(poly)


def test_keyword_and_default_arguments():
    def scaled(x, scale=2.0, *, shift=1.0):
        return scale * x * x + shift * x

    g = grad(scaled)
    assert g(3.0) == 2.0 * 6.0 + 1.0
    assert g(3.0, scale=1.0) == 6.0 + 1.0
    assert g(x=3.0, shift=0.0) == 12.0
    assert grad(scaled, wrt="shift")(3.0, shift=5.0) == 3.0


def test_python_numbers_give_python_floats():
    result = grad(poly)(3)
    assert type(result) is float and result == 14.0
    assert type(grad(affine, wrt="c")(1.0, 2.0, 3.0)) is float


def test_float32_stays_float32_and_integers_give_floats():
    def f(x):
        return np.sum(x * x)

    x32 = np.array([1.0, 2.0], dtype=np.float32)
    g32 = grad(f)(x32)
    assert g32.dtype == np.float32 and np.allclose(g32, [2.0, 4.0])
    xi = np.array([1, 2, 3])
    gi = grad(f)(xi)
    assert gi.dtype == np.float64 and np.allclose(gi, [2.0, 4.0, 6.0])


def test_integer_input_is_never_silently_zero():
    def f(x):
        y = x * 2
        y = y * 3
        return y

    assert grad(f)(5) == 6.0
    assert grad(f)(np.int64(5)) == 6.0


def test_unused_parameter_gets_zero_gradient_of_its_shape():
    def f(x, y):
        return np.sum(x)

    x, y = np.ones(3), np.ones((2, 2), dtype=np.float32)
    gx, gy = grad(f, wrt=(0, 1))(x, y)
    assert np.array_equal(gx, np.ones(3))
    assert gy.shape == (2, 2) and gy.dtype == np.float32 and not gy.any()
    assert grad(affine, wrt="a")(1.0, 0.0, 2.0) == 0.0


def test_gradient_has_argument_shape_under_broadcasting():
    def f(row, column):
        return np.sum(row * column)

    row, column = np.arange(3.0), np.arange(2.0).reshape(2, 1)
    g_row, g_column = grad(f, wrt=(0, 1))(row, column)
    assert g_row.shape == (3,) and np.allclose(g_row, [1.0, 1.0, 1.0])
    assert g_column.shape == (2, 1) and np.allclose(g_column, [[3.0], [3.0]])


def test_inputs_are_never_mutated_and_gradients_never_alias_them():
    def f(x, w):
        y = x * w
        y += 1.0
        return np.sum(y) + np.sum(x)

    x, w = np.arange(4.0), np.ones(4)
    x_copy, w_copy = x.copy(), w.copy()
    gx, gw = grad(f, wrt=(0, 1))(x, w)
    assert np.array_equal(x, x_copy) and np.array_equal(w, w_copy)
    assert not np.shares_memory(gx, x) and not np.shares_memory(gw, w)
    assert not np.shares_memory(gw, x)
    gw[:] = 99.0                      # the caller may write into what it got back
    assert np.array_equal(x, x_copy)


def test_gradient_of_identity_is_a_fresh_writable_array():
    def total(x):
        return np.sum(x)

    x = np.arange(3.0)
    g = grad(total)(x)
    g[0] = 5.0
    assert np.array_equal(x, np.arange(3.0))


def test_non_scalar_output_names_the_shape():
    def f(x):
        return x * 2.0

    with pytest.raises(ValueError, match=r"scalar output.*shape \(3,\).*vector-Jacobian"):
        grad(f)(np.ones(3))


def test_bad_wrt_names_valid_parameters():
    with pytest.raises(ValueError, match=r"'z' is not a parameter of affine.*a, b, c"):
        grad(affine, wrt="z")
    with pytest.raises(ValueError, match=r"wrt=5 is out of range.*3 parameters"):
        grad(affine, wrt=5)
    with pytest.raises(TypeError, match="wrt must be"):
        grad(affine, wrt=1.5)
    with pytest.raises(ValueError, match="twice"):
        grad(affine, wrt=("a", 0))


def test_non_numeric_arguments_are_refused():
    def f(x):
        return x * 2.0

    with pytest.raises(TypeError, match=r"argument 'x' of type str.*number or a numeric"):
        grad(f)("text")
    with pytest.raises(TypeError, match="complex"):
        grad(f)(np.array([1j]))


@pytest.mark.parametrize("bad, message", [
    (np.array([1j, 2j]), "complex"),
    (np.array([1.0, "a"], dtype=object), "of type ndarray"),
    (np.array(["a", "b"]), "of type ndarray"),
])
def test_arguments_refused_after_calls_with_good_ones_of_the_same_shape(bad, message):
    # Cached calls find their code by the arguments' shapes and dtypes: a new dtype is
    # checked again, however often the shape was seen.
    def f(x, w):
        return np.sum(np.sin(x) * w)

    gradient = grad(f, wrt=(0, 1))
    good = np.array([0.5, 1.5])
    for _ in range(3):
        gradient(good, good)
    with pytest.raises(TypeError, match=message):
        gradient(bad, good)
    with pytest.raises(TypeError, match=message):
        gradient(good, bad)
    np.testing.assert_allclose(gradient(good, good)[1], np.sin(good))


def test_np_matrix_arguments_are_refused():
    # For np.matrix, * is a matrix product: an elementwise rule would be silently wrong.
    def f(M, N):
        return np.sum(M * N)

    M = np.matrix(np.eye(2))
    for wrt in (0, 1):
        with pytest.raises(TypeError, match=r"argument 'N' is a np.matrix.*np.asarray"):
            grad(f, wrt=wrt)(np.eye(2), M)
    with pytest.raises(TypeError, match=r"argument 'M' is a np.matrix"):
        chainrule.source(f, M, np.eye(2))


def test_wrong_call_arguments():
    with pytest.raises(TypeError, match="poly"):
        grad(poly)(1.0, 2.0)


def test_grad_of_non_function_is_a_type_error():
    with pytest.raises(TypeError, match="Python functions"):
        grad(np.sin)
    with pytest.raises(TypeError, match="Python functions"):
        grad(math.sin)


def test_math_module_constants_are_scalars():
    def f(x):
        return math.pi * x * x

    assert grad(f)(1.0) == pytest.approx(2 * math.pi)
    assert "unbroadcast" not in grad(f).source_for(1.0)
