"""Arrays changed in place where a view of them is read later (chainrule.aliasing).

Each function either differentiates correctly (checked against finite differences) or is
refused with the documented error; none may give a wrong gradient. Many of these came from
a helper's attack on the checks.
"""

import operator
import types

import numpy as np
import pytest

import chainrule
from chainrule import TransformError, check_grad, grad

X = np.array([0.3, -0.5, 0.8])
W = np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.2], [-0.3, 0.2, 0.6]])


# -- refused: the view shows the change and is read afterwards ------------------------------------

def slice_then_store(x):
    b = x * 1.0
    c = b[0:2]
    b[0] = 5.0
    return np.sum(c * x[:2])


def alias_of_a_view(x):
    b = x * 1.0
    c = b[0:2]
    d = c
    b[0] = 5.0
    return np.sum(d * x[:2])


def view_of_a_view(x):
    b = x * 1.0
    d = b[0:2][0:1]
    b[0] = 5.0
    return np.sum(d * x[:1])


def row_of_a_transpose(x):
    b = np.outer(x, x)
    r = b.T[0]
    b[0, 0] = 5.0
    return np.sum(r * x)


def unpacked_rows(x):
    b = np.outer(x, x)
    r0, r1 = b[0:2]
    b[0, 0] = 5.0
    return np.sum(r0 * x)


def chained_assignment(x):
    b = x * 1.0
    c = d = b[0:2]
    b[0] = 5.0
    return np.sum(c * x[:2])


def chosen_view(x):
    b = x * 1.0
    c = b[0:2] if x[0] > 0 else b[1:3]
    b[0] = 5.0
    return np.sum(c * x[:2])


def loop_target_then_store(x):
    b = np.outer(x, x)
    for row in b:
        pass
    b[2] = b[2] * 3.0
    return np.sum(row * x)


def store_in_the_loop_a_view_made_before_reads(x):
    b = x * 1.0
    s = 0.0
    v = b[0:2]
    for i in range(3):
        s = s + np.sum(v * x[:2])
        b[0] = b[0] * 2.0
    return s


def in_place_op_in_a_loop(x):
    b = x * 1.0
    c = b[0:2]
    for i in range(2):
        b += x
    return np.sum(c * x[:2])


def view_held_by_a_list(x):
    b = x * 1.0
    xs = [b[0:2]]
    b[0] = 5.0
    return np.sum(xs[0] * x[:2])


def identity(v):
    return v


def first_two(v):
    return v[0:2]


def op_on_what_a_function_returned(x):
    b = x * 1.0
    c = identity(b)
    c += x
    return np.sum(b * b)


def view_a_function_returned(x):
    b = x * 1.0
    c = first_two(b)
    b[0] = 5.0
    return np.sum(c * x[:2])


def through_a_module_attribute(x):
    b = x * 1.0
    c = HELPERS.identity(b)
    c[0] = 5.0 * x[1]
    return np.sum(b * x)


def parts_of_a_split(x):
    b = x * 1.0
    parts = np.split(b, 3)
    b[0] = 5.0
    return np.sum(parts[0] * x[0])


def nested_function_changes_its_argument(x):
    b = x * 1.0

    def set_first(v):
        v[0] = 5.0 * x[1]               # changes the caller's b
        return 0.0

    set_first(b)
    return np.sum(b * x)


def swapped_rows(x):
    a = np.outer(x, x)
    a[0], a[1] = a[1], a[0]             # on rows (views), not a swap: Python copies row 1
    return np.sum(a * W)


def appended_then_changed(x):
    h = x * 1.0
    hs = []
    for t in range(2):
        h[:] = h * 3.0                  # every entry of hs is this one buffer
        hs.append(h)
    return np.sum(hs[0])


def kept_in_a_list_by_append(x):
    y = x * 1.0
    keep = []
    keep.append(y[:2])
    y[0] = 0.0
    return np.sum(keep[0])


def rotated(x):
    b = np.outer(x, x)
    v = np.rot90(b)
    b[0, 0] = 0.0
    return np.sum(v * W)


HELPERS = types.SimpleNamespace(identity=identity)
HELPERS.identity.__module__ = __name__


@pytest.mark.parametrize("function", [
    slice_then_store, alias_of_a_view, view_of_a_view, row_of_a_transpose, unpacked_rows,
    chained_assignment, chosen_view, loop_target_then_store,
    store_in_the_loop_a_view_made_before_reads, in_place_op_in_a_loop, view_held_by_a_list,
    op_on_what_a_function_returned, view_a_function_returned, through_a_module_attribute,
    parts_of_a_split, nested_function_changes_its_argument, swapped_rows,
    appended_then_changed, kept_in_a_list_by_append, rotated])
def test_a_change_a_view_would_show_is_refused(function):
    with pytest.raises(TransformError, match="shows the change|shares its memory"):
        grad(function)(X)


# -- followed: nothing reads a view the change reaches ------------------------------------------

def rows_written_from_earlier_rows(x):
    h = np.zeros((4, 3))
    h[0] = np.tanh(x)
    total = 0.0
    for t in range(1, 4):
        prev = h[t - 1]                 # a row the store below misses
        h[t] = np.tanh(W @ prev)
        total = total + np.sum(prev * prev)
    return np.sum(h * h) + total


def constant_buffer(x):
    w = np.ones(3)
    v = w[0:2]
    w[0] = 2.0                          # no gradient flows through w or v
    return np.sum(v * x[:2])


def only_compared(x):
    b = x * 1.0
    c = b[0:2]
    b[0] = 5.0
    return np.sum(x * 2.0) if c[0] > 1.0 else np.sum(x * 3.0)


def other_branch(x):
    b = x * 1.0
    v = b[0:2]
    if x[0] > 10.0:
        b[0] = 5.0
        s = 0.0
    else:
        s = np.sum(v * x[:2])           # on this path b never changes
    return s + np.sum(b * x)


def row_made_again_each_turn(x):
    h = np.outer(x, x)
    total = 0.0
    for i in range(3):
        row = h[i]
        if i == 1:
            h[i] = row * 2.0
        else:
            total = total + np.sum(row * x)
    return total + np.sum(h)


def swap_items(x):
    a = x * 1.0
    t = a[0]                            # an item of a vector: a copy
    a[0] = a[1]
    a[1] = t
    return np.sum(a * a * W[0])


def store_into_a_new_array_a_function_returned(x):
    c = first_two(x * 2.0)
    c[0] = c[1] * x[0]
    return np.sum(c * x[:2])


def interleaved_columns(x):
    B = np.outer(x, x) + np.eye(3)
    first = B[:, 0]
    B[:, 1] = B[:, 1] - np.dot(first, B[:, 1]) * first     # columns share no element
    return np.sum(first * B[:, 1])


def shifted_then_stored(x):
    y = np.zeros(3)
    y[:2] = y[1:]                       # a copy of its own view: no view is kept
    y[0] = x[0]
    return np.sum(y * x)


def number_plus_an_item(x):
    total = x[1] * 1.0
    total += x[0]
    total += total
    return total


def window_in_nested_loops(x):
    y = x * 1.0
    s = 0.0
    for sweep in range(2):
        for i in range(2):
            cur = y[i:i + 2]            # made again each turn, not read after the store
            s = s + np.sum(cur * cur)
            y[i] = s * 0.1
    return s + np.sum(y)


@pytest.mark.parametrize("function", [
    interleaved_columns, shifted_then_stored, number_plus_an_item, window_in_nested_loops,
    rows_written_from_earlier_rows, constant_buffer, only_compared, other_branch,
    row_made_again_each_turn, swap_items, store_into_a_new_array_a_function_returned])
def test_changes_no_read_view_shows_are_followed(function):
    check_grad(function, X)


# -- the reverse sweep reads views too: stores are undone for it --------------------------------

def row_used_then_overwritten(W, X):
    xs = X * 1.0                        # needs no gradient for wrt=W
    x = xs[1]
    h = np.tanh(W @ x)
    xs[1] = 0.0                         # after the product: the sweep must see the old row
    return np.sum(h)


def rows_walked_then_overwritten(W, X):
    xs = X * 1.0
    h = np.zeros(3)
    for x in xs:
        h = np.tanh(W @ x + h)
    xs[0] = 0.0
    return np.sum(h)


@pytest.mark.parametrize("function", [row_used_then_overwritten, rows_walked_then_overwritten])
def test_stores_after_a_view_was_used_are_undone_for_the_sweep(function):
    rows = np.random.default_rng(0).normal(size=(5, 3))
    check_grad(function, W, rows, wrt=0)
    check_grad(function, W, rows, wrt=(0, 1))


def operator_in_place(x):
    b = x * 1.0
    operator.iadd(b, x)
    return np.sum(b * b)


def operator_setitem(x):
    b = x * 1.0
    operator.setitem(b, 0, 5.0 * x[1])
    return np.sum(b * x)


@pytest.mark.parametrize("function", [operator_in_place, operator_setitem])
def test_operator_functions_that_write_in_place_are_refused(function):
    with pytest.raises(TransformError, match="writes into an existing array"):
        grad(function)(X)


def zero_dimensional_view_returned(x):
    b = x * 1.0
    b[0] = 5.0 * x[1]
    c = b[..., 0]                       # a 0-d view of b[0], made after the store
    return c


def test_value_and_grad_returns_the_value_before_the_sweep_puts_elements_back():
    value, gradient = chainrule.value_and_grad(zero_dimensional_view_returned)(X)
    assert value == zero_dimensional_view_returned(X.copy()) == 5.0 * X[1]
    np.testing.assert_allclose(gradient, [0.0, 5.0, 0.0])
