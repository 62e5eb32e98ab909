"""Generated code runs against the user's live globals and closure cells, and is inspectable."""

import inspect
import linecache
import sys
import textwrap
import traceback

import numpy as np

from chainrule import grad

SCALE = 2.0


def scaled(x):
    return SCALE * x * x


def test_globals_are_read_when_the_gradient_runs():
    global SCALE
    g = grad(scaled)
    assert g(1.0) == 4.0
    SCALE = 5.0
    try:
        assert g(1.0) == 10.0
    finally:
        SCALE = 2.0


def test_user_globals_are_never_written():
    before = set(vars(sys.modules[__name__]))
    grad(scaled)(1.0)
    assert set(vars(sys.modules[__name__])) == before


def make_closure(k):
    def f(x):
        return k * x * x
    return f


def test_closure_cells_are_read_when_the_gradient_runs():
    k = 3.0

    def f(x):
        return k * x * x

    g = grad(f)
    assert g(1.0) == 6.0
    k = 4.0  # noqa: F841  (read through the cell)
    assert g(1.0) == 8.0
    assert grad(make_closure(1.0))(1.0) == 2.0
    assert grad(make_closure(10.0))(1.0) == 20.0


def test_generated_source_is_registered_for_inspect_and_tracebacks():
    g = grad(scaled)
    g(1.0)
    generated = next(iter(g._specialized.values()))
    filename = generated.__code__.co_filename
    assert filename.startswith("<chainrule scaled_grad")
    assert textwrap.dedent(inspect.getsource(generated)) == g.source
    assert "x_bar" in "".join(linecache.getlines(filename))


def test_traceback_shows_the_generated_line():
    def f(x):
        return np.sum(np.log(x)) * undefined_later  # noqa: F821

    g = grad(f)
    try:
        g(np.ones(2))
    except NameError:
        text = traceback.format_exc()
    assert "<chainrule f_grad" in text and "undefined_later" in text


def test_decorated_function_is_not_transformed_twice():
    @grad
    def f(x):
        return x * x

    assert f(3.0) == 6.0
    assert "grad" not in f.source.split("\n", 1)[1].split("return")[0].replace("_grad", "")
