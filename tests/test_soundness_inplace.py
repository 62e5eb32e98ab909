"""In-place updates, fancy indices and views across branches (issue 12, classes 4-6).

Every function here either differentiates correctly (its gradient against central finite
differences of the function itself, run by NumPy on copies) or is refused with a clear
error; either way the caller's arrays are left as they were.
"""

import numpy as np
import pytest

from chainrule import TransformError, grad

X = np.array([0.3, -0.7, 1.1])
V = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
V3 = np.arange(9.0).reshape(3, 3) / 7.0
IDX = np.array([1, -2, 0])


def numeric_gradient(f, args, wrt, eps=1e-6):
    args = [np.array(a, dtype=float) if isinstance(a, np.ndarray) else a for a in args]
    point = args[wrt]
    gradient = np.zeros_like(point)
    for position in np.ndindex(point.shape):
        values = []
        for step in (eps, -eps):
            moved = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
            moved[wrt][position] += step
            values.append(f(*moved))
        gradient[position] = (values[0] - values[1]) / (2 * eps)
    return gradient


def assert_gradients(f, *args):
    """Each array argument's gradient against finite differences; inputs unchanged."""
    for wrt, argument in enumerate(args):
        if not isinstance(argument, np.ndarray):
            continue
        before = [np.copy(a) for a in args]
        analytic = grad(f, wrt=wrt)(*args)
        for now, then in zip(args, before):
            np.testing.assert_array_equal(now, then)
        np.testing.assert_allclose(analytic, numeric_gradient(f, args, wrt),
                                   rtol=1e-6, atol=1e-6, err_msg=f"{f.__name__}, wrt={wrt}")


def assert_refused(f, *args, match):
    before = [np.copy(a) for a in args]
    with pytest.raises(TransformError, match=match):
        grad(f)(*args)
    for now, then in zip(args, before):
        np.testing.assert_array_equal(now, then)


# -- class 4: a fancy index that repeats a position keeps NumPy's last write -------------------

def columns_repeated(x, v):
    a = np.zeros((3, 3)) + x
    a[:, [1, 1]] = v
    return np.sum(a * a)


def columns_repeated_added(x, v):
    a = np.zeros((3, 3)) + x
    a[:, [1, 1]] += v
    return np.sum(a * a)


def columns_repeated_multiplied(x, v):
    a = np.zeros((3, 3)) + x
    a[:, [1, 1]] *= v
    return np.sum(a * np.cos(a))


def columns_repeated_broadcast(x, v):
    a = np.zeros((3, 3)) + x
    a[:, [1, 1]] = v[0]
    return np.sum(a * a)


def columns_repeated_in_a_loop(x, v):
    a = np.zeros((3, 3)) + x
    for k in range(2):
        a[:, [1, 1]] = v * (k + 1.0)
    return np.sum(a * a)


def ellipsis_then_repeats(x, v):
    a = np.zeros((3, 3)) + x
    a[..., [0, 0]] = v
    return np.sum(a * a)


def integer_then_repeats(x, v):
    a = np.zeros((3, 3)) + x
    a[1, [2, 2]] = v[0]
    return np.sum(a * np.sin(a))


def rows_repeated_then_slice(x, v):
    a = np.zeros((3, 3)) + x
    a[[2, 2], 1:] = v[:2, 1:]
    return np.sum(a * np.sin(a))


def rows_repeated_whole(x, v):
    a = np.zeros((3, 3)) + x
    a[[0, 2, 0], :] = v
    return np.sum(a * a)


def one_dimensional(x, v):
    a = x * 1.0
    a[[0, 0]] = v[:2]
    return np.sum(a * a)


def one_dimensional_added(x, v):
    a = x * 1.0
    a[[0, 0]] += v[:2]
    return np.sum(a * a)


def negative_repeat_around_a_slice(x, v):
    a = np.zeros((3, 3, 2)) + x[:, None, None]
    a[[1, -2], :, [0, 0]] = v[:2]
    return np.sum(a * np.cos(a))


def array_index_from_a_global(x, v):
    a = np.zeros((3, 3, 2)) + x[:, None, None]
    a[:, IDX, 1] -= v
    return np.sum(a * np.cos(a))


def mask_and_repeats(x, v):
    a = np.zeros((3, 3)) + x
    a[np.array([True, False, True]), [0, 0]] = v[0, :2]
    return np.sum(a * np.cos(a))


def pairs_repeated(x, v):
    a = np.zeros((3, 3)) + x
    a[[[0, 0], [1, 0]], [[2, 2], [2, 2]]] = v[:2, :2]
    a[None, [1, 1]] = v[0, 0] * x
    return np.sum(a * np.cos(a))


def mask_store(x, v):
    a = np.zeros((3, 3)) + x
    a[x > 0] = v[0]
    return np.sum(a * a)


def rows_in_a_loop(x, v):
    h = np.zeros((4, 3))
    for t in range(3):
        h[[t + 1, t + 1]] = np.tanh(h[t] + x * v[t])
    return np.sum(h * h)


@pytest.mark.parametrize("f, v", [
    (columns_repeated, V), (columns_repeated_added, V), (columns_repeated_multiplied, V),
    (columns_repeated_broadcast, V), (columns_repeated_in_a_loop, V),
    (ellipsis_then_repeats, V), (integer_then_repeats, V), (rows_repeated_then_slice, V3),
    (rows_repeated_whole, V3), (one_dimensional, X[::-1].copy()),
    (one_dimensional_added, X[::-1].copy()), (negative_repeat_around_a_slice, V3),
    (array_index_from_a_global, V3), (mask_and_repeats, V3), (pairs_repeated, V3),
    (mask_store, V3), (rows_in_a_loop, V3)])
def test_repeated_fancy_indices_keep_the_last_write(f, v):
    assert_gradients(f, X, v)


def test_add_at_is_refused():
    def accumulated(x):
        a = np.zeros(3)
        np.add.at(a, [0, 0], x[:2])
        return np.sum(a * a)

    assert_refused(accumulated, X, match="ufunc.at")


# -- class 5: a view made on one path is checked on every path after it -------------------------

VIEW_SHOWS = "a view of it made before, shows the change"


def view_in_one_branch(x):
    b = x * 2.0
    if x[0] > 0:
        c = b[:2]
    else:
        c = b[:2].copy()
    b[0] = 0.0
    return np.sum(c * x[:2])


def view_in_a_conditional_expression(x, flag=True):
    b = x * 2.0
    z = x[:2] * 1.0
    c = b[:2] if flag else z
    b[0] = 0.0
    return np.sum(c * x[:2])


def copy_in_a_conditional_expression(x):
    return view_in_a_conditional_expression(x, False)


def view_or_copy_in_a_conditional_expression(x):
    b = x * 2.0
    c = b[:2] if x[0] > 0 else b[:2].copy()
    b[0] += 1.0
    return np.sum(c * x[:2])


def view_in_an_elif(x):
    b = x * 2.0
    if x[0] > 5:
        c = x[:2] * 1.0
    elif x[1] < 0:
        c = b[1:]
    else:
        c = x[1:] * 3.0
    b[1] = 0.0
    return np.sum(c * x[1:])


def view_through_unpacking_in_a_branch(x):
    b = x * 2.0
    if x[0] > 0:
        c, d = b[:2], x[:2] * 1.0
    else:
        c, d = x[:2] * 1.0, b[:2].copy()
    b[0] = 0.0
    return np.sum(c * d)


def transpose_in_a_branch(x):
    b = x * 2.0
    if x[0] > 0:
        c = b.T
    else:
        c = b * 1.0
    b *= 3.0
    return np.sum(c * x)


def view_in_a_list_in_a_loop_branch(x):
    b = x * 2.0
    cs = [x * 1.0]
    for i in range(2):
        if x[i] > 0:
            cs.append(b[i:])
    b[2] = 0.0
    return np.sum(cs[-1] * x[-1])


def view_in_a_loop(x, n):
    b = x * 2.0
    c = x * 1.0
    for i in range(n):
        if x[i] > 0:
            c = b[i:]
    b[2] = 0.0
    return np.sum(c * c)


def view_carried_to_the_next_turn(x, n):
    b = x * 2.0
    c = x * 1.0
    for i in range(n):
        b[2] = b[2] * 0.5 + x[0]
        if x[i] > 0:
            c = b[1:]
    return np.sum(c * c)


def view_in_a_while_loop(x, n):
    b = x * 2.0
    c = x[:1] * 1.0
    i = 0
    while i < n:
        c = b[:1] if x[i] > 0 else c
        i += 1
    b[0] = 0.0
    return np.sum(c * x[:1])


def view_in_a_list_in_a_loop(x, n):
    b = x * 2.0
    cs = [x * 1.0]
    for i in range(n):
        cs = cs + [b[i:i + 1]] if x[i] > 0 else cs
    b[0] = 0.0
    return sum(np.sum(c) for c in cs)


def view_then_stored_in_the_loop(x, n):
    b = x * 2.0
    c = x * 1.0
    for i in range(n):
        if x[i] > 0:
            c = b[i:]
        b[2] = 0.0
        c = c * 1.0
    return np.sum(c * c)


POSITIVE_FIRST = np.array([0.3, -0.7, 1.1])
ALL_NEGATIVE = np.array([-0.3, -0.7, -1.1])


@pytest.mark.parametrize("f", [
    view_in_one_branch, view_in_a_conditional_expression,
    view_or_copy_in_a_conditional_expression, view_in_an_elif,
    view_through_unpacking_in_a_branch, transpose_in_a_branch,
    view_in_a_list_in_a_loop_branch])
def test_a_view_made_in_one_branch_is_checked_after_the_join(f):
    assert_refused(f, np.array([0.3, -0.7, 1.1]), match=VIEW_SHOWS)


@pytest.mark.parametrize("f, x", [
    (view_in_one_branch, ALL_NEGATIVE), (copy_in_a_conditional_expression, POSITIVE_FIRST),
    (view_or_copy_in_a_conditional_expression, ALL_NEGATIVE),
    (view_in_an_elif, np.array([0.3, 0.7, 1.1])), (view_in_an_elif, np.array([6.0, -1.0, 1.0])),
    (view_through_unpacking_in_a_branch, ALL_NEGATIVE),
    (transpose_in_a_branch, ALL_NEGATIVE), (view_in_a_list_in_a_loop_branch, ALL_NEGATIVE)])
def test_the_path_that_made_no_view_is_differentiated(f, x):
    assert_gradients(f, x)


def test_the_refusal_names_what_the_user_wrote():
    assert_refused(view_in_a_conditional_expression, X, match="where 'c', a view")


LOOPS = [view_in_a_loop, view_carried_to_the_next_turn, view_in_a_while_loop,
         view_in_a_list_in_a_loop, view_then_stored_in_the_loop]


@pytest.mark.parametrize("f", LOOPS)
def test_a_view_made_in_a_loop_is_checked_after_it(f):
    assert_refused(f, POSITIVE_FIRST, 2, match=VIEW_SHOWS)


@pytest.mark.parametrize("n", [0, 2, 3])
@pytest.mark.parametrize("f", LOOPS)
def test_loops_that_made_no_view_are_differentiated(f, n):
    # With no turn (n = 0) the checks read names bound before the loop only.
    assert_gradients(lambda x: f(x, n), ALL_NEGATIVE)
