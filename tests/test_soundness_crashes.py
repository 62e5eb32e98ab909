"""Issue 12, classes 13 and 15: runtime checks that crashed, and raw crashes.

* A view check is made only where it can fire (never on a Python number) and reads only
  names bound on its path (a view bound in the other branch of an ``if`` is not checked; one
  bound on some paths only is None until bound).
* ``assert`` runs in the primal as Python runs it.
* Deeply nested expressions (a one-line sum of thousands of terms) are followed up to
  ``nesting.MAX_DEPTH`` levels, and refused clearly beyond.
"""

import linecache
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import chainrule
from chainrule import TransformError, check_grad, grad, value_and_grad
from chainrule.nesting import MAX_DEPTH


# -- 13: view checks only where they can fire, only on names bound on their path -------------

def p2(x, y):
    for i0 in range(1):
        x = y
    if y > x:
        if x > y:
            y = x
    else:
        x *= y * 0.5 + math.atan(x) * 0.3
    return 0.65 + y


@pytest.mark.parametrize("kind", [float, np.float64])
def test_the_issue_reproducer(kind):
    args = (kind(0.63), kind(0.48))
    assert grad(p2, wrt=(0, 1))(*args) == (0.0, 1.0)
    check_grad(p2, *args, wrt=(0, 1))
    check_grad(p2, kind(0.3), kind(0.9), wrt=(0, 1))


def test_no_view_check_on_python_numbers():
    source = chainrule.source(p2, 0.63, 0.48, wrt=(0, 1))
    assert "refuse_change_under_view" not in source
    assert "refuse_shared_array_update" not in source


def alias_in_both_branches(x, y, flag):
    for _ in range(2):
        x = y
    if flag > 0.0:
        if x > y:
            y = x
        z = y * 2.0
    else:
        x *= y
        z = x
    return z + x * y


@pytest.mark.parametrize("flag", [1.0, -1.0])
@pytest.mark.parametrize("kind", [float, np.float64])
def test_op_equal_in_one_branch_after_a_copying_loop(kind, flag):
    x, y = kind(0.7), kind(0.4)
    check_grad(alias_in_both_branches, x, y, flag, wrt=(0, 1))


def test_op_equal_on_an_array_another_name_holds_is_still_refused():
    x, y = np.array(0.7), np.array(0.4)
    with pytest.raises(TransformError, match="names the same array as 'y'"):
        grad(alias_in_both_branches, wrt=(0, 1))(x, y, -1.0)
    assert (x, y) == (0.7, 0.4)


def view_in_the_other_branch(a, x):
    b = a.copy()
    if x > 0.0:
        c = b[:2]
    else:
        b[0] = x            # `c` is never bound on this path
    if x > 0.0:
        return np.sum(c) * x
    return np.sum(b) * x


@pytest.mark.parametrize("x", [0.5, -0.5])
def test_a_view_bound_only_in_the_other_branch_is_not_checked(x):
    a = np.array([1.0, 2.0, 3.0])
    before = a.copy()
    check_grad(view_in_the_other_branch, a, x, wrt=(0, 1))
    value, _ = value_and_grad(view_in_the_other_branch, wrt=(0, 1))(a, x)
    assert value == view_in_the_other_branch(a, x)
    np.testing.assert_array_equal(a, before)


def view_made_in_a_loop(a, n):
    b = a.copy()
    c = a * 2.0
    for _ in range(n):
        c = b[0:3]          # a view, made only if the loop runs
    b[0] = 5.0
    return np.sum(c * a)


def test_a_view_bound_on_some_paths_is_checked_where_bound():
    a = np.array([1.0, 2.0, 3.0])
    check_grad(view_made_in_a_loop, a, 0)      # no view: the change is fine
    with pytest.raises(TransformError, match="a view of it made before"):
        grad(view_made_in_a_loop)(a, 1)        # `c` shows the change: refused as before
    np.testing.assert_array_equal(a, [1.0, 2.0, 3.0])


def view_made_in_a_while_that_may_not_run(x, a, b):
    a = a.copy()
    k = 0
    while k < 3 and x > 1.0:
        k += 1
        a[0] = b[0]
    a[0] = x
    return x + np.sum(a)


@pytest.mark.parametrize("x", [0.5, 1.5])
def test_a_while_loop_that_may_not_run(x):
    a, b = np.array([0.1, 0.2, 0.3]), np.array([0.4, 0.5, 0.6])
    check_grad(view_made_in_a_while_that_may_not_run, x, a, b, wrt=(0, 1, 2))


# -- 15: assert ---------------------------------------------------------------------------------

# (compiled by _function, not in this module, whose asserts pytest rewrites)
ASSERTS = """
def asserts(x):
    assert len(x) == 3
    assert np.all(x > 0), "positive"
    assert x.shape == (3,), "bad shape"
    s = np.sum(x ** 2)
    assert s > 0 and math.isfinite(s), ("s is", s)
    for i in range(2):
        assert x[i] < 10.0, x[i + 7]        # the message is read only if the test fails
    return s * x[0]


def scalar_asserts(x, y):
    assert x > 0
    assert x < y, "x below y"
    assert not (x > 100.0 or y > 100.0)
    return x * y
"""


def test_assert_runs_in_the_primal():
    asserts = _function(ASSERTS, "asserts")
    x = np.array([1.0, 2.0, 3.0])
    check_grad(asserts, x)
    value, _ = value_and_grad(asserts)(x)
    assert value == asserts(x)


@pytest.mark.parametrize("bad", [np.array([-1.0, 2.0, 3.0]), np.ones(4)])
def test_a_failing_assert_fails_as_in_python(bad):
    asserts = _function(ASSERTS, "asserts")
    with pytest.raises(AssertionError) as expected:
        asserts(bad)
    with pytest.raises(AssertionError) as got:
        grad(asserts)(bad)
    assert repr(got.value) == repr(expected.value)


def test_an_assert_message_is_computed_only_when_it_fails():
    asserts = _function(ASSERTS, "asserts")
    with pytest.raises(IndexError):             # Python reads x[7] for the message
        asserts(np.array([20.0, 2.0, 3.0]))
    with pytest.raises(IndexError):
        grad(asserts)(np.array([20.0, 2.0, 3.0]))


def test_assert_on_scalars():
    scalar_asserts = _function(ASSERTS, "scalar_asserts")
    assert grad(scalar_asserts, wrt=(0, 1))(2.0, 3.0) == (3.0, 2.0)
    with pytest.raises(AssertionError, match="x below y"):
        grad(scalar_asserts)(3.0, 2.0)


def test_python_minus_O_drops_asserts(tmp_path):
    path = tmp_path / "dropped.py"
    path.write_text(textwrap.dedent("""
        import chainrule

        def f(x):
            assert x < 0, "dropped under -O"
            return x * x

        print(chainrule.grad(f)(3.0))
    """))
    result = subprocess.run([sys.executable, "-O", str(path)], capture_output=True,
                            text=True, env={"PYTHONPATH": os.pathsep.join(sys.path)},
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "6.0"


# -- 15: deeply nested expressions ---------------------------------------------------------------

def _function(source: str, name: str = "f"):
    """``source`` compiled (with the room CPython needs for it) under a file name that
    linecache knows, so chainrule can read it."""
    filename = f"<deep-{abs(hash(source))}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 30000))
    try:
        namespace = {"np": np, "math": math}
        code = compile(source, filename, "exec")
    except RecursionError:                  # (Python 3.12's compiler has a fixed limit)
        pytest.skip("deeper than this Python compiles")
    else:
        exec(code, namespace)
    finally:
        sys.setrecursionlimit(limit)
    return namespace[name]


def _one_line_sum(terms: int):
    coefficients = [(i % 7) * 0.1 + 0.05 for i in range(terms)]
    expression = " + ".join(f"{c!r} * x * y" if i % 3 == 0 else f"{c!r} * x"
                            for i, c in enumerate(coefficients))
    return _function(f"def f(x, y):\n    return {expression}\n"), coefficients


@pytest.mark.parametrize("terms", [400, 1000, pytest.param(2700, marks=pytest.mark.slow)])
def test_a_one_line_sum_of_many_terms(terms):
    f, coefficients = _one_line_sum(terms)
    limit = sys.getrecursionlimit()
    x, y = 0.3, 0.7
    dx, dy = grad(f, wrt=(0, 1))(x, y)
    assert dx == pytest.approx(sum(c * y if i % 3 == 0 else c
                                   for i, c in enumerate(coefficients)), rel=1e-12)
    assert dy == pytest.approx(sum(c * x for i, c in enumerate(coefficients) if i % 3 == 0),
                               rel=1e-12)
    assert sys.getrecursionlimit() == limit          # put back
    check_grad(f, x, y, wrt=(0, 1))                  # the cached transform serves again


def test_a_one_line_sum_of_3000_terms_is_refused_clearly():
    # Deeper than MAX_DEPTH; Python 3.10-3.12 compile it only with a raised recursion limit
    # (3.12 not at all), 3.13 as it is.
    f, _ = _one_line_sum(3000)
    with pytest.raises(TransformError, match=f"nested more than {MAX_DEPTH} levels deep"):
        grad(f, wrt=(0, 1))(0.3, 0.7)


def test_a_sum_of_arrays_over_many_lines():
    f = _function("def f(a):\n    return np.sum(a\n" + "        + a * 0.5\n" * 800 + "    )\n")
    check_grad(f, np.array([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("depth", [50, 190])
def test_nested_parentheses(depth):
    f = _function("def f(x):\n    return " + "(" * depth + "x" + " * 1.01 + 0.1)" * depth + "\n")
    check_grad(f, 0.3)
    assert grad(f)(0.3) == pytest.approx(1.01 ** depth, rel=1e-12)


def test_a_long_chain_of_unary_operators():
    f = _function("def f(x):\n    return " + "- " * 1000 + "math.sin(x)\n")
    assert grad(f)(0.3) == math.cos(0.3)


def test_deeper_than_followed_is_refused_clearly():
    f = _function("def f(x):\n    return (x\n" + "        + x\n" * (MAX_DEPTH + 100) + "    )\n")
    limit = sys.getrecursionlimit()
    with pytest.raises(TransformError) as caught:
        grad(f)
    assert f"an expression nested more than {MAX_DEPTH} levels deep" in str(caught.value)
    assert caught.value.lineno == 2 and "split it into several statements" in str(caught.value)
    assert sys.getrecursionlimit() == limit
