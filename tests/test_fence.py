"""Unsupported syntax is refused at decoration time, pointing at the user's file:line."""

import inspect

import numpy as np
import pytest

from chainrule import TransformError, grad


def line_of(function, text):
    lines, first = inspect.getsourcelines(function)
    for offset, line in enumerate(lines):
        if text in line:
            return first + offset
    raise AssertionError(text)


def with_try(x):
    try:
        y = x * 2
    except ValueError:
        y = x
    return y


def with_class(x):
    class Box:
        pass
    return x


def with_with(x):
    with open("f") as handle:
        y = x
    return y


def with_yield(x):
    yield x


def with_global(x):
    global COUNTER
    COUNTER = x
    return x


def with_lambda(x):
    squares = list(map(lambda v: v * v, [x]))
    return squares[0]


def with_subscript_store(x):
    x[0] = 1.0
    return np.sum(x)


def with_star_args(*xs):
    return xs[0]


@pytest.mark.parametrize("function, construct, marker", [
    (with_try, "try statement", "try:"),
    (with_class, "class definition", "class Box"),
    (with_with, "with statement", "with open"),
    (with_yield, "yield", "yield x"),
    (with_global, "global statement", "global COUNTER"),
    (with_lambda, "lambda", "lambda v"),
    (with_subscript_store, "assignment into an element", "x[0] = 1.0"),
    (with_star_args, "*args", "def with_star_args"),
])
def test_refused_construct_names_file_line_and_construct(function, construct, marker):
    with pytest.raises(TransformError) as caught:
        grad(function)
    error = caught.value
    message = str(error)
    assert construct in error.construct
    assert construct in message
    assert error.filename == __file__
    assert error.lineno == line_of(function, marker)
    assert f'File "{__file__}", line {error.lineno}' in message
    assert marker.strip() in message                      # the offending source line
    assert "^" in message and "hint:" in message


def test_caret_points_at_the_column():
    with pytest.raises(TransformError) as caught:
        grad(with_lambda)
    rendered = str(caught.value).splitlines()
    source_line = next(i for i, line in enumerate(rendered) if "lambda v" in line)
    caret = rendered[source_line + 1]
    assert rendered[source_line][caret.index("^"):].startswith("lambda")
    assert caught.value.col == inspect.getsourcelines(with_lambda)[0][1].index("lambda") + 1


def test_refused_before_any_user_code_runs():
    calls = []

    def f(x):
        calls.append(x)
        try:
            return x
        finally:
            pass

    with pytest.raises(TransformError):
        grad(f)
    assert calls == []
