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
