"""The corpus of whole user functions (tests/corpus/), checked end to end.

For every case: the gradient agrees with central finite differences (default tolerances), the
value of ``value_and_grad`` is the function's value, the generated source re-parses, a second
``grad`` of the same function hits the transform cache, the inputs are left alone, and each
gradient has its argument's shape and floating dtype.
"""

import ast
import copy
import inspect

import numpy as np
import pytest

import chainrule

from .corpus import all_cases

CASES = all_cases()

# Known chainrule bugs, by (case id, check): each is a strict xfail, so fixing the bug turns
# the test red until the entry is removed.
KNOWN_BUGS: dict = {}


def _params(check):
    params = []
    for case_id, function, args, wrt in CASES:
        reason = KNOWN_BUGS.get((case_id, check))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(function, args, wrt, id=case_id, marks=marks))
    return params


def _wrt_positions(function, wrt):
    names = list(inspect.signature(function).parameters)
    items = [wrt] if isinstance(wrt, (int, str)) else list(wrt)
    return [names.index(item) if isinstance(item, str) else item % len(names)
            for item in items]


def _gradients(function, args, wrt):
    result = chainrule.grad(function, wrt=wrt)(*args)
    return (result,) if isinstance(wrt, (int, str)) else result


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b))
    return type(a) is type(b) and a == b


def test_corpus_is_large_enough():
    assert len(CASES) >= 35
    assert len({function.__code__ for _, function, _, _ in CASES}) >= 35


@pytest.mark.parametrize("function, args, wrt", _params("finite_differences"))
def test_gradient_matches_finite_differences(function, args, wrt):
    assert chainrule.check_grad(function, *args, wrt=wrt) <= 1.0


@pytest.mark.parametrize("function, args, wrt", _params("value"))
def test_value_and_grad_value_is_the_function_value(function, args, wrt):
    value, _ = chainrule.value_and_grad(function, wrt=wrt)(*copy.deepcopy(args))
    expected = function(*copy.deepcopy(args))
    rtol = 1e-5 if np.asarray(expected).dtype == np.float32 else 1e-10
    np.testing.assert_allclose(value, expected, rtol=rtol)


@pytest.mark.parametrize("function, args, wrt", _params("source"))
def test_generated_source_reparses(function, args, wrt):
    gradient = chainrule.grad(function, wrt=wrt)
    gradient(*args)
    tree = ast.parse(gradient.source)
    definitions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert definitions, gradient.source


@pytest.mark.parametrize("function, args, wrt", _params("cache"))
def test_second_grad_hits_the_cache(function, args, wrt):
    chainrule.grad(function, wrt=wrt)(*args)
    before = chainrule.cache_info()
    chainrule.grad(function, wrt=wrt)(*args)
    after = chainrule.cache_info()
    assert after.misses == before.misses
    assert after.hits > before.hits


@pytest.mark.parametrize("function, args, wrt", _params("inputs"))
def test_inputs_are_not_modified(function, args, wrt):
    originals = copy.deepcopy(args)
    gradients = _gradients(function, args, wrt)
    for original, arg in zip(originals, args):
        assert _same(arg, original)
    for gradient in gradients:
        for arg in args:
            if isinstance(arg, np.ndarray) and isinstance(gradient, np.ndarray):
                assert not np.may_share_memory(gradient, arg)


@pytest.mark.parametrize("function, args, wrt", _params("dtype"))
def test_gradient_has_the_argument_shape_and_floating_dtype(function, args, wrt):
    gradients = _gradients(function, args, wrt)
    positions = _wrt_positions(function, wrt)
    assert len(gradients) == len(positions)
    for gradient, position in zip(gradients, positions):
        arg = args[position]
        if type(arg) in (float, int, bool):
            assert type(gradient) is float
            continue
        expected = arg.dtype if arg.dtype.kind == "f" else np.dtype(np.float64)
        if isinstance(arg, np.ndarray):
            assert isinstance(gradient, np.ndarray)
            assert gradient.shape == arg.shape
            assert gradient.dtype == expected
        else:                                   # NumPy scalar
            assert type(gradient) is expected.type
