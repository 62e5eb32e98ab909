"""In-place updates, fancy indices and views across branches (issue 12, classes 4-6).

Every function here either differentiates correctly (its gradient against central finite
differences of the function itself, run by NumPy on copies) or is refused with a clear
error; either way the caller's arrays are left as they were.
"""

import heapq
import random

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


# -- class 6: in-place effects hidden in expressions are refused, never run unseen -------------

GLOBAL_ARRAY = np.array([1.0, 2.0, 3.0])
GLOBAL_LIST = [1.0, 2.0]
SCALE = 2.0


def fill_in_a_lambda(x):
    y = x * 1.0
    f = lambda a: a.fill(2.0)
    f(y)
    return np.sum(y * x)


def fill_the_argument_in_a_lambda(x):
    f = lambda a: a.fill(2.0)
    f(x)
    return np.sum(x)


def sort_in_a_comprehension(x):
    y = x * 1.0
    [y.sort() for _ in range(2)]
    return np.sum(y * x)


def sort_the_argument_in_a_comprehension(x):
    [x.sort() for _ in range(2)]
    return np.sum(x * x)


def append_in_a_lambda(x):
    xs = []
    f = lambda v: xs.append(v)
    f(x * 2.0)
    return np.sum(xs[0])


def append_in_a_comprehension(x):
    xs = []
    [xs.append(v * 2.0) for v in x]
    return sum(xs)


def fill_in_a_conditional_expression(x):
    y = x * 1.0
    z = (y.fill(0.0), y)[1] if x[0] > 0 else y
    return np.sum(z * x)


def sort_in_a_conditional_expression(x):
    y = x * 1.0
    r = y.sort() if x[0] > 0 else None
    return np.sum(y * x)


def fill_through_a_default_argument(x):
    y = x * 1.0
    g = lambda a=y: a.fill(0.0)
    g()
    return np.sum(y * x)


def update_in_a_lambda(x):
    d = {"a": x}
    f = lambda: d.update(a=x * 2.0)
    f()
    return np.sum(d["a"])


def reverse_in_a_lambda(x):
    y = [x[0], x[1]]
    f = lambda: y.reverse()
    f()
    return y[0] * 2.0 + y[1]


def setattr_in_a_lambda(x):
    y = x * 1.0
    h = lambda a: setattr(a, "shape", (3, 1))
    h(y)
    return np.sum(y * x)


def partition_method(x):
    y = x * 1.0
    y.partition(1)
    return np.sum(y * x)


def sort_method_as_a_value(x):
    y = x * 1.0
    g = y.sort
    g()
    return np.sum(y * x)


def fill_through_getattr(x):
    y = np.ones(3)
    getattr(y, "fill")(2.0)
    return np.sum(y * x)


def fill_from_the_class(x):
    y = np.ones(3)
    z = y * x
    g = np.ndarray.fill
    g(y, 2.0)
    return np.sum(z * y)


def sort_from_the_class(x):
    y = np.ones(3) * x
    np.ndarray.sort(y)
    return np.sum(y * x)


def append_from_the_class(x):
    xs = [1.0]
    list.append(xs, x[0])
    return xs[0] * xs[-1]


def copyto_as_a_value(x):
    y = np.ones(3)
    z = y * x
    g = np.copyto
    g(y, 2.0)
    return np.sum(z * y)


def _apply(f, a, b):
    f(a, b)
    return 0.0


def copyto_passed_to_a_function(x):
    y = np.ones(3)
    z = y * x
    _apply(np.copyto, y, 2.0)
    return np.sum(z * y)


def copyto_in_a_lambda(x):
    y = x * 1.0
    f = lambda a: np.copyto(a, 0.0)
    f(y)
    return np.sum(y * x)


def copyto_in_a_comprehension(x):
    y = x * 1.0
    [np.copyto(y, v) for v in [x * 2.0]]
    return np.sum(y * x)


def put_function(x):
    y = x * 1.0
    np.put(y, [0], x[1])
    return np.sum(y * y)


def out_keyword_in_a_conditional_expression(x):
    y = np.ones(3) * x
    z = np.negative(x, out=y) if x[0] > 0 else y
    return np.sum(z * y)


def iadd_method_in_a_lambda(x):
    b = x * 1.0
    h = lambda a: a.__iadd__(1.0)
    h(b)
    return np.sum(b * x)


def global_array_updated(x):
    a = GLOBAL_ARRAY
    a += x
    return np.sum(a * x)


def global_array_stored_into(x):
    a = GLOBAL_ARRAY
    a[0] = x[0]
    return np.sum(a * x)


def global_array_through_a_copy(x):
    a = GLOBAL_ARRAY
    b = a
    b *= 2.0
    return np.sum(b * x)


def global_array_on_one_path(x):
    a = GLOBAL_ARRAY if x[0] > 0 else x * 1.0
    a[1] = 0.0
    return np.sum(a * x)


def global_array_on_a_later_turn(x):
    a = x * 1.0
    for _ in range(2):
        a += x
        a = GLOBAL_ARRAY
    return np.sum(a * x)


def global_array_stored_on_a_later_turn(x):
    a = x * 1.0
    for _ in range(2):
        a[0] = x[1]
        a = GLOBAL_ARRAY
    return np.sum(a * x)


def global_array_added_at_an_item_on_a_later_turn(x):
    a = x * 1.0
    for _ in range(2):
        a[0] += x[1]
        a = GLOBAL_ARRAY
    return np.sum(a * x)


def global_list_extended(x):
    a = GLOBAL_LIST
    a += [x[0]]
    return sum(a)


def global_list_appended(x):
    a = GLOBAL_LIST
    a.append(x[0])
    return sum(a)


def item_another_name_holds(x):
    y = np.ones(3)
    s = [y]
    s[0] += x
    return np.sum(y * x)


def item_of_a_dict_another_name_holds(x):
    y = x * 1.0
    d = {"a": y}
    d["a"] *= 2.0
    return np.sum(y * x)


def item_that_is_the_argument(x):
    s = [x]
    s[0] += 1.0
    return np.sum(s[0] * x)


def out_keyword_of_a_function_with_no_gradient(x):
    y = x * 1.0
    np.floor(x, out=y)
    return np.sum(y * x)


def shuffled_by_the_random_module(x):
    xs = [1.0, 2.0, 3.0]
    random.shuffle(xs)
    return x[0] * xs[0]


def pushed_onto_a_heap(x):
    h = [3.0, 1.0]
    heapq.heappush(h, 0.5)
    return x[0] * h[0]


def fill_through_asarray(x):
    y = x * 1.0
    np.asarray(y).fill(0.0)
    return np.sum(y * x)


def sort_through_a_view_in_a_comprehension(x):
    y = x * 1.0
    [y.view().sort() for _ in range(1)]
    return np.sum(y * x)


@pytest.mark.parametrize("f, match", [
    (fill_through_asarray, r"\.fill\(\) changes 'np.asarray\(y\)' in place"),
    (sort_through_a_view_in_a_comprehension, r"\.sort\(\) changes 'y.view\(\)' in place"),
    (out_keyword_of_a_function_with_no_gradient, r"numpy.floor\(out=...\) writes into"),
    (shuffled_by_the_random_module, "shuffle writes into an existing array"),
    (pushed_onto_a_heap, "heappush writes into an existing array"),
    (fill_in_a_lambda, r"\.fill\(\) changes 'a' in place"),
    (fill_the_argument_in_a_lambda, r"\.fill\(\) changes 'a' in place"),
    (sort_in_a_comprehension, r"\.sort\(\) changes 'y' in place"),
    (sort_the_argument_in_a_comprehension, "changes an object from outside the function"),
    (append_in_a_lambda, r"\.append\(\) inside an expression changes 'xs'"),
    (append_in_a_comprehension, r"\.append\(\) inside an expression changes 'xs'"),
    (fill_in_a_conditional_expression, r"\.fill\(\) changes 'y' in place"),
    (sort_in_a_conditional_expression, r"\.sort\(\) changes 'y' in place"),
    (fill_through_a_default_argument, r"\.fill\(\) changes 'a' in place"),
    (update_in_a_lambda, r"\.update\(\) changes 'd' in place"),
    (reverse_in_a_lambda, r"\.reverse\(\) changes 'y' in place"),
    (setattr_in_a_lambda, r"setattr\(\) changes an object in place"),
    (partition_method, r"\.partition\(\) changes 'y' in place"),
    (sort_method_as_a_value, r"the method \.sort is taken as a value"),
    (fill_through_getattr, r"getattr\(\.\.\., 'fill'\) takes an in-place method"),
    (fill_from_the_class, "ndarray.fill writes into an existing array and is taken as a value"),
    (sort_from_the_class, "ndarray.sort writes into an existing array"),
    (append_from_the_class, r"list\.append\(\) changes its first argument in place"),
    (copyto_as_a_value, "numpy.copyto writes into an existing array and is taken as a value"),
    (copyto_passed_to_a_function, "numpy.copyto writes into an existing array and is taken"),
    (copyto_in_a_lambda, "numpy.copyto writes into an existing array"),
    (copyto_in_a_comprehension, "numpy.copyto writes into an existing array"),
    (put_function, "numpy.put writes into an existing array"),
    (out_keyword_in_a_conditional_expression, r"numpy.negative\(out=...\) writes into"),
    (iadd_method_in_a_lambda, r"\.__iadd__\(\) changes 'a' in place"),
    (global_array_updated, "in-place update of 'a', which names the same array as "
                           "'GLOBAL_ARRAY'"),
    (global_array_stored_into, "assignment into 'a', which names the same object as "
                               "'GLOBAL_ARRAY'"),
    (global_array_through_a_copy, "in-place update of 'b', which names the same array as "
                                  "'GLOBAL_ARRAY'"),
    (global_array_on_one_path, "assignment into 'a', which names the same object as "
                               "'GLOBAL_ARRAY' \\("),
    (global_array_on_a_later_turn, "names the same array as 'GLOBAL_ARRAY'"),
    (global_array_stored_on_a_later_turn, "'GLOBAL_ARRAY' on a later turn of the loop"),
    (global_array_added_at_an_item_on_a_later_turn,
     "'GLOBAL_ARRAY' on a later turn of the loop"),
    (global_list_extended, "'a', which names the same array as 'GLOBAL_LIST'"),
    (global_list_appended, r"in-place change of the list 'a' \(a.append\(...\)\), which is "
                           "also 'GLOBAL_LIST'"),
    (item_another_name_holds, r"in-place update of 's\[0\]', which names the same array as "
                              "'y'"),
    (item_of_a_dict_another_name_holds, "in-place update of 'd\\['a'\\]', which names the "
                                        "same array as 'y'"),
    (item_that_is_the_argument, r"in-place update of 's\[0\]', which names the same array "
                                "as 'x'"),
])
def test_hidden_in_place_changes_are_refused(f, match):
    globals_before = GLOBAL_ARRAY.copy(), list(GLOBAL_LIST)
    assert_refused(f, X.copy(), match=match)
    np.testing.assert_array_equal(GLOBAL_ARRAY, globals_before[0])
    assert GLOBAL_LIST == globals_before[1]


def global_number_updated(x):
    a = SCALE
    a += x[0]
    return a * x[1]


def global_array_read(x):
    a = GLOBAL_ARRAY
    a = a + x
    return np.sum(a * x)


def list_item_updated(x):
    s = [x * 1.0]
    s[0] += x
    return np.sum(s[0] * x)


def number_item_updated(x):
    s = [1.0, 2.0]
    s[0] += x[0]
    return np.sum(s[0] * x)


def append_statement_in_a_nested_function(x):
    xs = []

    def keep(v):
        xs.append(v * 2.0)
        return 0.0

    keep(x)
    return np.sum(xs[0] * x)


@pytest.mark.parametrize("f", [global_number_updated, global_array_read, list_item_updated,
                               number_item_updated, append_statement_in_a_nested_function])
def test_what_python_rebinds_or_the_normal_form_follows_is_differentiated(f):
    globals_before = GLOBAL_ARRAY.copy()
    assert_gradients(f, X)
    np.testing.assert_array_equal(GLOBAL_ARRAY, globals_before)


# A nested function's parameter is the caller's object: changing it changes the caller's.

def append_to_the_parameter_of_a_nested_function(x):
    xs = [x[0]]

    def add(items, v):
        items.append(v)
        return 0.0

    add(xs, x[1] * 2.0)
    return xs[-1] * x[2]


def append_to_a_comprehension_through_a_nested_function(x):
    xs = [v * 1.0 for v in x]

    def add(items, v):
        items.append(v)
        return 0.0

    add(xs, x[1] * 2.0)
    return xs[-1] * x[2]


def store_into_a_dict_through_a_nested_function(x):
    d = {"a": x[0]}

    def put(m):
        m["b"] = x[1]
        return 0.0

    put(d)
    return d["b"] * x[2]


def store_into_a_list_through_a_nested_function(x):
    xs = [v * 1.0 for v in x]

    def put(items):
        items[0] = x[1] * 3.0
        return 0.0

    put(xs)
    return xs[0] * x[2]


def _items(a):
    return [v * 1.0 for v in a]


def store_into_a_list_from_a_call(x):
    xs = _items(x)

    def put(items):
        items[0] = x[1] * 3.0
        return 0.0

    put(xs)
    return xs[0] * x[2]


@pytest.mark.parametrize("f, match", [
    (append_to_the_parameter_of_a_nested_function,
     r"in-place change of the list .*, which is also 'xs'"),
    (append_to_a_comprehension_through_a_nested_function,
     r"in-place change of the list .*, which is also 'xs'"),
    (store_into_a_dict_through_a_nested_function,
     "assignment into 'm', which names the same object as 'd'"),
    (store_into_a_list_through_a_nested_function,
     "assignment into 'items', which names the same object as 'xs'"),
    (store_into_a_list_from_a_call, "'items' shares its memory with 'xs'")])
def test_changing_a_nested_functions_parameter_is_refused(f, match):
    assert_refused(f, X.copy(), match=match)


def rebound_parameter_of_a_nested_function(x):
    xs = [v * 1.0 for v in x]

    def put(items):
        items = items + [x[0]]
        items[0] = 5.0
        return items[0] * x[1] + items[-1]

    return put(xs) + xs[0]


def test_a_rebound_parameter_is_the_nested_functions_own():
    assert_gradients(rebound_parameter_of_a_nested_function, X)


# A function of yours given only values with no gradient runs as it is: what it changes in
# place is refused as where a gradient flows.

def _fill(a):
    a.fill(2.0)
    return 0.0


def _add(a):
    a += 1.0
    return 0.0


def _store(a):
    a[0] = 5.0
    return 0.0


def _store_through_an_alias(a):
    b = a
    b[0] = 3.0
    return 0.0


def _fill_a_view(a):
    b = a[:2]
    b.fill(3.0)
    return 0.0


def _sort_a_copy(a):
    t = a * 1.0
    t.sort()
    return np.sum(t)


def calls_fill(x):
    y = np.arange(3.0) + 1.0
    z = y * x
    _fill(y)
    return np.sum(z * y)


def calls_add(x):
    y = np.arange(3.0) + 1.0
    z = y * x
    _add(y)
    return np.sum(z * y)


def calls_store(x):
    y = np.arange(3.0) + 1.0
    z = y * x
    _store(y)
    return np.sum(z * y)


def calls_store_through_an_alias(x):
    y = np.arange(3.0) + 1.0
    z = y * x
    _store_through_an_alias(y)
    return np.sum(z * y)


def calls_fill_a_view(x):
    y = np.arange(3.0) + 1.0
    z = y * x
    _fill_a_view(y)
    return np.sum(z * y)


def _copyto(a):
    np.copyto(a, 2.0)
    return 0.0


def _floor_into(a):
    np.floor(a * 1.5, out=a)
    return 0.0


def calls_copyto(x):
    y = np.arange(3.0) + 1.0
    z = y * x
    _copyto(y)
    return np.sum(z * y)


def calls_floor_into(x):
    y = np.arange(3.0) + 1.0
    z = y * x
    _floor_into(y)
    return np.sum(z * y)


@pytest.mark.parametrize("f, match", [
    (calls_copyto, r"_copyto\(\) changes its argument 'a' in place \(line \d+: "
                   r"np.copyto\(a, 2.0\)\)"),
    (calls_floor_into, r"_floor_into\(\) changes its argument 'a' in place"),
    (calls_fill, r"\.fill\(\) on 'a' changes an object from outside the function"),
    (calls_add, r"_add\(\) changes its argument 'a' in place"),
    (calls_store, "assignment into argument 'a' would change the caller's object"),
    (calls_store_through_an_alias, "assignment into 'b', which names the same object as 'a'"),
    (calls_fill_a_view, r"\.fill\(\) changes 'b' in place")])
def test_a_callee_changing_what_it_is_given_is_refused_without_a_gradient(f, match):
    assert_refused(f, X.copy(), match=match)


def sorts_its_own_copy(x):
    y = np.array([3.0, 1.0, 2.0])
    s = _sort_a_copy(y)
    return np.sum(y * x) * s


def test_a_callee_changing_only_its_own_objects_runs():
    assert_gradients(sorts_its_own_copy, X)


def loop_target_of_both_branches(x, n):
    # `i` is first bound by a loop in each branch: one SSA name, two loops that may run no
    # turn; joined later, it must be bound (to None) before both.
    c = x * 1.0
    if x[0] > 0:
        for i in range(n):
            c = c * 2.0
    else:
        for i in range(n):
            c = c * 3.0
    if x[1] > 0:
        i = 5
    return np.sum(c * x)


@pytest.mark.parametrize("x", [POSITIVE_FIRST, ALL_NEGATIVE])
@pytest.mark.parametrize("n", [0, 2])
def test_a_loop_target_first_bound_in_both_branches(x, n):
    assert_gradients(lambda x: loop_target_of_both_branches(x, n), x)


def view_renamed_into_the_join(x):
    # The view's definition in the branch defines the join's name itself: the store in the
    # branch is checked against that name.
    b = x * 2.0
    c = x[:2] * 1.0
    if x[2] > 0:
        c = b[::-1][:2]
        b[1] = x[2] * 2.0
    return np.sum(c * c) + np.sum(b * x)


def test_a_view_renamed_into_the_join_is_checked():
    assert_refused(view_renamed_into_the_join, POSITIVE_FIRST, match=VIEW_SHOWS)
    assert_gradients(view_renamed_into_the_join, ALL_NEGATIVE)
