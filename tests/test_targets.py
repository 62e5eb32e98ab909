"""What grad can be applied to: methods, partials, decorated functions."""

import functools

import numpy as np
import pytest

from chainrule import TransformError, check_grad, grad


def log_calls(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        wrapper.calls += 1
        return fn(*args, **kwargs)
    wrapper.calls = 0
    return wrapper


def doubles(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return 2.0 * fn(*args, **kwargs)
    return wrapper


def test_pass_through_decorator_differentiates_the_wrapped_function():
    @grad
    @log_calls
    def f(x):
        return x * x * x

    assert f(2.0) == 12.0


def test_value_changing_decorator_is_not_silently_skipped():
    with pytest.raises(TransformError, match=r"\*args/\*\*kwargs"):
        @grad
        @doubles
        def g(x):
            return x * x


class Model:
    def __init__(self, w):
        self.w = w

    def loss(self, x):
        return np.sum((self.w * x) ** 2)

    @grad
    def loss_grad(self, x):
        return np.sum((self.w * x) ** 2)

    @staticmethod
    def square(x):
        return x * x


def test_bound_method_binds_the_instance():
    model, x = Model(2.0), np.array([1.0, 2.0])
    assert np.allclose(grad(model.loss)(x), 8.0 * x)
    assert check_grad(model.loss, x) <= 1.0


def test_grad_decorated_method_counts_wrt_after_self():
    x = np.array([1.0, -1.0])
    assert np.allclose(Model(3.0).loss_grad(x), 18.0 * x)


def test_static_method():
    assert grad(Model.square)(3.0) == 6.0


def scaled_product(a, b, scale=1.0):
    return scale * a * b


def test_partial_binds_arguments():
    triple = functools.partial(scaled_product, scale=3.0)
    assert grad(triple)(2.0, 5.0) == 15.0
    assert grad(triple, wrt="b")(2.0, 5.0) == 6.0
    assert grad(functools.partial(scaled_product, 2.0))(5.0) == 2.0
    assert check_grad(triple, 2.0, 5.0, wrt=(0, 1)) <= 1.0


def test_grad_of_a_gradient_is_refused_clearly():
    with pytest.raises(TypeError, match="second derivatives"):
        grad(grad(scaled_product))
