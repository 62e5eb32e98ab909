"""Minimal reproductions of the bugs the random-program fuzzer (tests/fuzz) found.

Each test is the shrunk program reduced by hand to its core. While a bug is open its test is
``xfail(strict=True)`` and ``tests/fuzz/known.py`` lists it (so the random-program test looks
past it); the fix turns the test into an XPASS, which fails: then drop the marker here and the
entry in ``known.py``.
"""

import importlib.util
import linecache
import math

import numpy as np
import pytest

import chainrule


# -- (-1.5) ** 2 is unparsed as -1.5 ** 2 -------------------------------------------------------

def negative_constant_power(x):
    return x * (-1.5) ** 2


def negative_constant_power_plus(x):
    return (-1.2) ** 2 + x


def test_negative_constant_base_of_power():
    assert chainrule.value_and_grad(negative_constant_power)(2.0) == (4.5, 2.25)
    value, gradient = chainrule.value_and_grad(negative_constant_power_plus)(1.0)
    assert value == pytest.approx(2.44) and gradient == 1.0


# -- s = x; s += <array element>: refused as an in-place update of the float x ------------------

def alias_then_augassign(x, a):
    s = x
    s += a[0]
    return s * x


def test_augassign_on_alias_of_float_argument():
    dx, da = chainrule.grad(alias_then_augassign, wrt=("x", "a"))(2.0, np.array([1.0, 2.0, 3.0]))
    assert dx == 5.0                                  # d/dx (x + a0) * x = 2x + a0
    np.testing.assert_array_equal(da, [2.0, 0.0, 0.0])


# -- a helper's backward returns None for a parameter its result does not depend on ------------

def first(p, q):
    return p


def uses_first(x, y):
    return y + first(x, y)


def constant(p):
    return 0.3


def indexes_into_constant(x, a):
    return x + constant(a[0])


def test_helper_ignoring_an_active_argument():
    assert chainrule.grad(uses_first, wrt="y")(0.5, 0.25) == 1.0


def test_constant_helper_of_an_array_element():
    gradient = chainrule.grad(indexes_into_constant, wrt="a")(0.5, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(gradient, [0.0, 0.0, 0.0])


# -- a loop inside a branch that runs zero times ------------------------------------------------

def zero_trip_loop_in_branch(x):
    if x < 0.5:
        for i in range(0):
            v = x
    return x * x


def test_zero_trip_loop_inside_branch():
    assert chainrule.grad(zero_trip_loop_in_branch)(0.1) == pytest.approx(0.2)


# -- the transform cache is keyed by the caller's code only: helpers go stale -------------------

def _write_module(directory, name, helper_body):
    # Same layout in both modules, so their f have equal code objects (code equality ignores
    # the file name); only the helper differs.
    path = directory / f"{name}.py"
    path.write_text("import math\n\n\ndef helper(p):\n"
                    f"    return {helper_body}\n\n\ndef f(x):\n    return helper(x) * x\n")
    spec = importlib.util.spec_from_file_location(f"chainrule_fuzz_regression_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_redefined_helper_is_not_stale(tmp_path, fresh_cache):
    module = _write_module(tmp_path, "redefined", "p")
    assert chainrule.value_and_grad(module.f)(2.0) == (4.0, 4.0)
    # Redefine the helper the way a notebook cell does (source registered in linecache).
    source = "def helper(p):\n    return 3.0 * p\n"
    filename = "<ipython-input-redefined-helper>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), module.__dict__)
    assert module.f(2.0) == 12.0
    assert chainrule.value_and_grad(module.f)(2.0) == (12.0, 12.0)


def test_equal_callers_with_different_helpers(tmp_path, fresh_cache):
    first = _write_module(tmp_path, "first", "p")
    second = _write_module(tmp_path, "second", "math.sin(p)")
    assert first.f.__code__ == second.f.__code__
    assert chainrule.value_and_grad(first.f)(2.0) == (4.0, 4.0)
    value, gradient = chainrule.value_and_grad(second.f)(2.0)
    assert value == pytest.approx(2.0 * math.sin(2.0))
    assert gradient == pytest.approx(math.sin(2.0) + 2.0 * math.cos(2.0))


# -- max(xs) / min(xs) of a single iterable ----------------------------------------------------

def max_of_list(x):
    values = [x, 2.0 * x]
    return max(values)


def min_of_array(a):
    return min(a)


def test_builtin_max_of_a_list():
    assert chainrule.grad(max_of_list)(1.0) == 2.0
    np.testing.assert_array_equal(chainrule.grad(min_of_array)(np.array([3.0, 1.0, 2.0])),
                                  [0.0, 1.0, 0.0])


# -- an and/or/not branch test is re-evaluated after the branch updated the array it reads ----

def store_under_compound_test(x, a):
    y = a * 1.0
    if y[0] > 0.0 and y[1] > 0.0:
        y[0] = x
    return np.sum(y)


def store_under_negated_test(x):
    y = np.zeros(3)
    if not y[1] < y[0]:
        y[1:] = x
        return x
    return x + np.sum(np.sin(y))


def test_compound_branch_test_reads_an_array_the_branch_updates():
    assert chainrule.grad(store_under_compound_test)(-1.0, np.array([1.0, 1.0, 0.0])) == 1.0
    assert chainrule.grad(store_under_negated_test)(-0.5) == 1.0


# -- a direct call of a nested function inside and/or is refused --------------------------------

def nested_call_in_bool_op(x):
    def inner(t):
        return x * t
    if inner(x) > 0.5 and x > 0.0:
        return x
    return 2.0 * x


def test_nested_function_called_in_a_bool_op():
    assert chainrule.grad(nested_call_in_bool_op)(1.0) == 1.0
    assert chainrule.grad(nested_call_in_bool_op)(0.25) == 2.0


# -- a helper that stores into an array or list it made -----------------------------------------

def fills_array(p):
    y = np.zeros(3)
    y[0] = 2.0 * p
    return np.sum(y)


def calls_fills_array(x):
    return fills_array(x)


def updates_list(p):
    values = [p]
    values[-1] += p
    return sum(values)


def calls_updates_list(x):
    return updates_list(x)


def test_helper_that_stores_into_its_own_array():
    assert chainrule.grad(calls_fills_array)(1.0) == 2.0
    assert chainrule.grad(calls_updates_list)(1.0) == 2.0


# -- a loop reads an array/list that it updates in place ----------------------------------------

def loop_updates_array_it_reads(x):
    y = np.array([x, x])
    for i in range(2):
        y[0] = math.sin(np.sum(y))
    return np.sum(y)


def loop_updates_list_it_reads(x):
    values = [x, x]
    for i in range(2):
        values[0] = values[0] + math.sin(sum(values))
    return sum(values)


def test_loop_reads_a_container_it_updates():
    # chainrule gives 1.3307 and 1.0735 (finite differences: 1.4730 and 2.2569)
    chainrule.check_grad(loop_updates_array_it_reads, 0.5)
    chainrule.check_grad(loop_updates_list_it_reads, 0.5)


# -- an outer-loop variable read in an inner loop that runs zero times, then overwritten --------

def overwrite_after_empty_inner_loop(x):
    for i in range(3):
        for j in range(0):
            v = x
        x = 0.5
    return x


def overwrite_after_inner_loop_of_varying_length(x):
    s = 0.0
    for i in range(2):
        for j in range(i):
            s = s + x * x
        x = 0.5
    return s + x


def test_overwrite_after_an_empty_inner_loop():
    assert chainrule.grad(overwrite_after_empty_inner_loop)(0.5) == 0.0
    assert chainrule.grad(overwrite_after_inner_loop_of_varying_length)(3.0) == 0.0


# -- a while loop's and-test after an early-return guard ----------------------------------------

def while_and_test_after_guard(x, a):
    if x > 10.0:
        return x
    v = x
    k = 0
    while k < 3 and a[0] < v:
        k += 1
    return x


def test_while_and_test_after_a_guard_clause():
    assert chainrule.grad(while_and_test_after_guard)(0.5, np.zeros(3)) == 1.0


# -- a loop ending in `if c: break` around an inner loop with its own break ---------------------

def inner_break_inside_outer_trailing_break(x, a):
    for j in range(3):
        k = 0
        while True:
            k += 1
            if k > 1:
                break
            x = x * 1.5
        else:
            x = x + 1.0
        if a > 0.3:
            break
    return x


def test_inner_break_inside_a_loop_ending_in_a_break():
    # Found as a hang: the inner loop's break was dropped, so it never ended.
    assert chainrule.grad(inner_break_inside_outer_trailing_break)(0.5, 1.0) == 1.5
    assert chainrule.grad(inner_break_inside_outer_trailing_break)(0.5, 0.0) == 1.5 ** 3


# -- a method call in a while test's second operand, inside a branch ----------------------------

def method_call_in_while_test(x, a):
    y = x * 0.5
    if a[0] < x:
        k = 0
        while k < 3 and np.array([0.5, 0.2, 0.5]).sum() > y:
            k += 1
            y = y * 0.5
    return y


def test_method_call_in_a_while_test_inside_a_branch():
    # The names only the test's statements assign were not known as locals: 't4.sum' was
    # refused as an undefined name.
    assert chainrule.grad(method_call_in_while_test)(1.0, np.zeros(3)) == 0.5 ** 4
    assert chainrule.grad(method_call_in_while_test)(1.0, np.ones(3)) == 0.5
    chainrule.check_grad(method_call_in_while_test, 0.3, np.zeros(3))   # raises on a mismatch


# -- a value read only by a check line nested in a loop -----------------------------------------

def augassign_after_tuple_unpacking_in_loop(x, a):
    s = 0.0
    for e in a:
        u, v = (x, e)
        v += math.tanh(x)
        s = s + v * u
    return s


def test_value_read_only_by_a_nested_check_line():
    # The generated code checks `v` before `v +=` on a line of text; the copy simplification
    # did not see that read inside the loop and dropped `v = e` (NameError).
    a = np.array([0.1, 0.2])
    gradient = chainrule.grad(augassign_after_tuple_unpacking_in_loop)(0.5, a)
    expected = sum(e + math.tanh(0.5) + 0.5 * (1 - math.tanh(0.5) ** 2) for e in a)
    assert gradient == pytest.approx(expected, rel=1e-14)


# -- an in-place update of the array a for loop iterates ------------------------------------------

def updates_the_iterated_array(x, a):
    a = a.copy()
    for e in a:
        x = x * 0.5 + e
        a += np.tanh(a)
    return x


def test_in_place_update_of_the_iterated_array_is_refused():
    # Python's loop reads the updated elements; the normal form made a new array, so the loop
    # read the old ones and value_and_grad's value came out wrong. Now refused, by name.
    with pytest.raises(chainrule.TransformError) as caught:
        chainrule.grad(updates_the_iterated_array)(0.5, np.array([1.0, 2.0, 3.0]))
    message = str(caught.value)
    assert "in-place update of 'a'" in message
    assert "the sequence the loop at line" in message and "iterates" in message
    assert "iterate over a.copy()" in message


def updates_the_iterated_array_unread(x, a):
    a = a.copy()
    for e in a:                 # e is never read: the update cannot change a value
        a += np.tanh(a)
    return x * np.sum(a)


def test_in_place_update_of_an_iterated_array_whose_elements_are_unread():
    a = np.array([1.0, 2.0, 3.0])
    value, gradient = chainrule.value_and_grad(updates_the_iterated_array_unread)(0.5, a)
    assert value == updates_the_iterated_array_unread(0.5, a)
    assert gradient == pytest.approx(2.0 * value, rel=1e-15)


# -- a view check read a name bound only on another path (UnboundLocalError; issue 12) ----------

def copy_in_loop_then_nested_branches(x0, a0):
    v7 = x0
    for i9 in range(1):
        x0 = v7
    if np.sum(a0) > 0.5:
        if x0 > x0:
            x0 = v7
    x0 += x0
    return x0


@pytest.mark.parametrize("kind", [float, np.float64])
@pytest.mark.parametrize("total", [-1.0, 1.0])
def test_op_equal_after_a_copying_loop_and_nested_branches(kind, total):
    a0 = np.full(3, total)
    assert chainrule.grad(copy_in_loop_then_nested_branches)(kind(0.0031), a0) == 2.0
    chainrule.check_grad(copy_in_loop_then_nested_branches, kind(0.3), a0)


def element_store_in_a_while_that_may_not_run(x0, a0, a1):
    a0 = a0.copy()
    k2 = 0
    while k2 < 3 and x0 > x0:
        a0[0] = a1[0]
    else:
        pass
    a0[0] = x0
    return x0 + np.sum(a0)


def test_element_store_after_a_while_loop_that_did_not_run():
    a = np.array([0.0031, 0.0031, 0.0031])
    gradient = chainrule.grad(element_store_in_a_while_that_may_not_run, wrt=(0, 1, 2))(
        0.0031, a, a.copy())
    assert gradient[0] == 2.0
    np.testing.assert_array_equal(gradient[1], [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(gradient[2], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(a, [0.0031, 0.0031, 0.0031])
