"""Issue 12, classes 2, 14, 16 and 17: rule coverage, numerics at degenerate points, error text
that names callables truly and hints only at code that is accepted, einsum's sublist form."""

import math

import numpy as np
import pytest

from chainrule import TransformError, grad
from chainrule.rules.registry import describe_callable
from chainrule.testing import check_grad


def _unchanged(call, *args):
    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else repr(a) for a in args]
    result = call(*args)
    after = [np.array(a, copy=True) if isinstance(a, np.ndarray) else repr(a) for a in args]
    for b, a in zip(before, after):
        assert (np.array_equal(b, a) if isinstance(b, np.ndarray) else b == a)
    return result


# -- class 14: numerics where the result is 0 ----------------------------------------------------

def std_of_one(x):
    return np.std(x[:1]) + np.var(x[:1])


def std_of_equal(x):
    return x.std() + np.std(np.stack([x, x]), axis=0).sum()


def norm_at_zero(x):
    return (np.linalg.norm(x) + np.linalg.norm(x, 0.5) + np.linalg.norm(x, -np.inf)
            + np.linalg.norm(x, 3))


def matrix_norms_at_zero(m):
    return np.linalg.norm(m, 2) + np.linalg.norm(m, "nuc") + np.linalg.norm(m, -2)


def hypot_at_origin(x, y):
    return math.hypot(x, y) + float(np.hypot(x, y))


def test_std_and_var_of_no_spread_have_gradient_0():
    np.testing.assert_array_equal(grad(std_of_one)(np.array([1.0, 2.0, 3.0])), [0, 0, 0])
    np.testing.assert_array_equal(grad(std_of_equal)(np.full(3, 2.0)), [0, 0, 0])
    check_grad(std_of_one, np.array([1.0, 2.0, 3.0]))


def test_norms_at_zero_have_gradient_0():
    np.testing.assert_array_equal(grad(norm_at_zero)(np.zeros(3)), np.zeros(3))
    np.testing.assert_array_equal(grad(matrix_norms_at_zero)(np.zeros((2, 3))), np.zeros((2, 3)))
    assert grad(hypot_at_origin, wrt=(0, 1))(0.0, 0.0) == (0.0, 0.0)
    check_grad(norm_at_zero, np.array([0.3, -1.2, 0.7]))


# -- class 16: error text ------------------------------------------------------------------------

def calls_eig(a):
    return np.sum(np.linalg.eig(a)[1] ** 3) if False else np.fft.fft(a)


def test_callables_are_named_by_their_public_path():
    assert describe_callable(np.linalg.eig) == "numpy.linalg.eig"
    assert describe_callable(np.fft.fft) == "numpy.fft.fft"
    assert describe_callable(np.random.rand) == "numpy.random.rand"
    assert describe_callable(np.ma.sum) == "numpy.ma.sum"
    assert describe_callable(sorted) == "sorted" and describe_callable(list) == "list"
    with pytest.raises(TransformError, match=r"NumPy function numpy\.fft\.fft has no gradient "
                                             r"rule(.|\n)*@chainrule\.adjoint\(np\.fft\.fft\)"):
        grad(calls_eig)(np.ones(3))


def maps(x):
    return sum(map(np.sin, x))


def filters(x):
    return sum(filter(None, x))


def sorts(x):
    return sorted([x, 2.0 * x])[0]


@pytest.mark.parametrize("function, hint", [
    (maps, r"use a comprehension \(\[f\(v\) for v in xs\]\) instead of map"),
    (filters, r"use a comprehension \(\[v for v in xs if test\(v\)\]\) instead of filter"),
    (sorts, r"use np\.sort\(np\.asarray\(xs\)\)")])
def test_map_filter_and_sorted_get_a_hint_that_works(function, hint):
    with pytest.raises(TransformError, match=hint):
        grad(function)(np.array([0.5, 1.5]) if function is not sorts else 0.5)


def comprehension(x):
    return sum([np.sin(v) for v in x])


def sorted_with_np(x):
    return np.sort(np.asarray([x, 2.0 * x]))[0]


def test_the_hinted_rewrites_are_accepted():
    check_grad(comprehension, np.array([0.5, 1.5]))
    assert grad(sorted_with_np)(0.5) == 1.0


class Model:
    def __init__(self):
        self.w = np.array([1.0, 2.0, 3.0])

    def predict(self, x):
        return x * self.w

    def loss(self, x):
        return np.sum(self.predict(x))

    def loss_through_class(self, x):
        return np.sum(Model.predict(self, x))


MODEL = Model()


def global_method(x):
    return MODEL.loss_through_class(x)


def global_method_through_class(x):
    return Model.loss_through_class(MODEL, x)


def test_a_method_call_gets_a_hint_that_works():
    with pytest.raises(TransformError, match=r"method \.predict\(\) has no gradient rule(.|\n)*"
                                             r"call it through the class, "
                                             r"Model\.predict\(self, \.\.\.\)"):
        grad(MODEL.loss)(np.ones(3))
    with pytest.raises(TransformError, match=r"method tests\.test_soundness_rules\.Model\."
                                             r"loss_through_class has no gradient rule(.|\n)*"
                                             r"Model\.loss_through_class\(MODEL, \.\.\.\)"):
        grad(global_method)(np.ones(3))
    np.testing.assert_array_equal(grad(MODEL.loss_through_class)(np.ones(3)), MODEL.w)
    np.testing.assert_array_equal(grad(global_method_through_class)(np.ones(3)), MODEL.w)


# -- class 16: list, tuple and dict --------------------------------------------------------------

def rows(x):
    ys = list(x)
    return np.sum(ys[0] * ys[1]) + np.sum(tuple(x)[1])


def items(x):
    ys = list(x)
    ys[0] = ys[1] * 3.0
    return ys[0] * ys[2] + sum(tuple(ys))


def copies(x, y):
    zs = tuple([x, y * 2.0])
    ws = list(zs)
    ws.append(x * y)
    return np.sum(ws[0] * ws[1] * ws[2])


def dicts(x):
    d = {"a": x, "b": x * 3.0}
    e = dict(d)
    e["c"] = 1.0
    f = dict([("a", x), ("b", x * 2.0), ("a", x * 5.0)])
    return np.sum(e["a"] * e["b"] + f["a"] * f["b"])


def rebound_parameter(x, a):
    a = list(a)
    for e in a:
        x = x * 0.5 + e
    a.append(x)
    return x * a[-1] * a[0]


HISTORY = [0.5]


def copied_global(x):
    HISTORY_copy = list(HISTORY)
    HISTORY_copy.append(x)
    return x * HISTORY_copy[0] * HISTORY_copy[-1]


def view_through_list(x):
    x = x * 1.0
    ys = list(x)
    x[0] = 5.0
    return np.sum(ys[0])


def test_list_tuple_and_dict_of_containers():
    x = np.array([1.5, 2.0, 3.0])
    m = np.arange(6.0).reshape(2, 3) + 1.0
    _unchanged(lambda v: check_grad(rows, v), m)
    _unchanged(lambda v: check_grad(items, v), x)
    _unchanged(lambda v, w: check_grad(copies, v, w), x, x + 1.0)
    _unchanged(lambda v: check_grad(dicts, v), x)
    a = [1.0, 2.0]
    # x_final = (0.5 x + a0) / 2 + a1 = 2.625; f = x_final^2 a0
    assert grad(rebound_parameter, wrt=(0, 1))(0.5, a) == (2 * 2.625 * 0.25,
                                                           [2 * 2.625 * 0.5 + 2.625 ** 2, 5.25])
    assert a == [1.0, 2.0]
    assert grad(copied_global)(1.5) == 1.5 and HISTORY == [0.5]
    with pytest.raises(TransformError, match="a view of it made before"):
        grad(view_through_list)(m)


# -- class 2: einsum's sublist form --------------------------------------------------------------

W = np.arange(6.0).reshape(2, 3)


def einsum_sublists(x, y):
    return (np.sum(W.T * np.einsum(x, [0, 1], [1, 0]))
            + np.sum(np.einsum(x, [0, 1], y, [1, 2], [0, 2]) ** 2)
            + np.sum(np.einsum(x, [Ellipsis, 1], x, [Ellipsis, 1]) ** 2)
            + np.einsum(x[:, :2], [0, 0]))


def einsum_implicit(x, y):
    return np.sum(np.einsum("ij,jk", x, y) ** 2) + np.sum(np.einsum("...i,...i", x, x) ** 2)


def test_einsum_sublist_form_and_implicit_output():
    x = np.arange(6.0).reshape(2, 3) * 0.3 + 0.1
    y = np.arange(12.0).reshape(3, 4) * 0.1 - 0.4
    check_grad(einsum_sublists, x, y, wrt=(0, 1))
    check_grad(einsum_implicit, x, y, wrt=(0, 1))
    np.testing.assert_array_equal(grad(einsum_sublists)(x, y) != 0, True)


# -- class 17: new rules end to end --------------------------------------------------------------

A = np.array([[2.0, 1.0], [0.5, 3.0]])


def eigen(a):
    w, v = np.linalg.eig(a)
    return np.sum(w * w) + np.sum(v[:, 0] ** 2 * w[0]) + np.sum(np.linalg.eigvals(a) ** 3)


def singular(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(s) + u[0, 0] * vh[0, 0] + np.sum(np.linalg.svd(a, compute_uv=False) ** 2)


def pseudo_inverse(a):
    return np.sum(np.linalg.pinv(a) ** 2)


def parts(a):
    return np.sum(a.real * 2.0 + a.imag + a.conj() + np.real(a) * np.conj(a) + np.imag(a))


def sums_of_parts(x):
    # a full sum's scalar cotangent must not reach a rule that reshapes (restructure)
    return np.sum(x.conj()) + x.real.sum() + np.sum(np.real(x)) + np.sum(x.conjugate() ** 2)


def test_sums_of_real_and_conjugate():
    check_grad(sums_of_parts, np.array([1.5, 2.0, -0.5]))
    check_grad(sums_of_parts, np.array([[1.5, 2.0], [-0.5, 0.3]]))


def others(a):
    return (np.sum(np.gradient(a)[0] ** 2) + np.sum(np.partition(a.ravel(), 2)[:2])
            + np.sum(np.select([a > 1.2, a < 0.8], [a * 2, a ** 2], 0.5))
            + np.sum(np.rollaxis(a, 1) * np.arange(4.0).reshape(2, 2))
            + np.sum(np.nan_to_num(np.log(a - 0.7)) ** 2)
            + np.sum(np.gradient(a, 0.5, axis=1) ** 2))


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")   # nan_to_num's input
@pytest.mark.parametrize("function", [eigen, singular, pseudo_inverse, parts, others])
def test_new_rules_end_to_end(function):
    _unchanged(lambda a: check_grad(function, a), A)


def others_of_wide(a):
    return np.sum(np.linalg.pinv(a) ** 2) + singular(a)


def test_new_rules_on_non_square_matrices():
    check_grad(others_of_wide, np.array([[2.0, 1.0, 0.3], [0.5, 3.0, -1.0]]))
    check_grad(others_of_wide, np.array([[2.0, 1.0], [0.3, 0.5], [3.0, -1.0]]))


ROTATION = np.array([[0.0, -1.0], [1.0, 0.0]])


def complex_spectrum(a):
    return np.sum(np.real(np.linalg.eigvals(a)))


def complex_eig(a):
    return np.sum(np.real(np.linalg.eig(a)[0]))


def extra_columns(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(u)


def coordinates(a):
    return np.sum(np.gradient(a, np.array([0.0, 1.0, 3.0])))


def test_complex_spectra_extra_singular_vectors_and_coordinates_are_refused():
    for function in (complex_spectrum, complex_eig):
        with pytest.raises(ValueError, match="gave complex eigenvalues; chainrule"):
            grad(function)(ROTATION)
    with pytest.raises(ValueError, match=r"full_matrices=True\) of a non-square matrix"):
        grad(extra_columns)(np.ones((3, 2)) + np.eye(3, 2))
    with pytest.raises(ValueError, match="only with scalar spacings"):
        grad(coordinates)(np.array([1.0, 2.0, 4.0]))


def square_full(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(u[:, 0] * vh[0]) + np.sum(s)


def test_full_matrices_of_a_square_matrix_and_unused_extra_columns_are_fine():
    check_grad(square_full, A)
    check_grad(lambda_free_full, np.ones((3, 2)) + np.eye(3, 2))


def lambda_free_full(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(u[:, :2] ** 3) + np.sum(s)


def test_repeated_singular_values_have_a_finite_gradient():
    g = grad(singular)(np.eye(2))
    assert np.all(np.isfinite(g))


def partitions_its_argument(x):
    x.partition(1)
    return np.sum(x * W[0])


def partitions_a_local(x):
    y = x * 1.0
    y.partition(1)
    return np.sum(y * W[0])


def partitions_a_new_array(x):
    y = np.partition(x * 1.0, 1)
    return np.sum(y * W[0])


def test_the_in_place_partition_method_is_refused():
    # It changed the caller's array and gave the gradient of the unpartitioned values.
    x = np.array([3.0, 1.0, 2.0])
    with pytest.raises(TransformError, match=r"\.partition\(\) on 'x' changes an object from "
                                             r"outside(.|\n)*x = np\.partition\(x, kth\)"):
        grad(partitions_its_argument)(x)
    with pytest.raises(TransformError, match=r"\.partition\(\) changes 'y' in place(.|\n)*"
                                             r"y = np\.partition\(y, kth\)"):
        grad(partitions_a_local)(x)
    np.testing.assert_array_equal(x, [3.0, 1.0, 2.0])
    np.testing.assert_array_equal(grad(partitions_a_new_array)(x), [2.0, 0.0, 1.0])


def nan_to_num_in_place(x):
    y = x * 1.0
    np.nan_to_num(y, copy=False)
    return np.sum(y)


def nan_to_num_copying(x):
    return np.sum(np.nan_to_num(x * 1.0, True) + np.nan_to_num(x, copy=True))


def test_nan_to_num_without_a_copy_is_refused():
    with pytest.raises(TransformError, match=r"numpy\.nan_to_num writes into an existing array"):
        grad(nan_to_num_in_place)(np.array([1.0, np.nan]))
    np.testing.assert_array_equal(grad(nan_to_num_copying)(np.array([1.0, np.nan])), [2.0, 0.0])


def zipped(x):
    return list(zip([x], [x]))[0][0]


def enumerated(x):
    return list(enumerate([x]))[0][1]


def reversed_list(x):
    return list(reversed([x, 2.0 * x]))[0]


def divided(x):
    return divmod(x, 1.0)[1]


def called_argument(fn, x):
    return fn(x)


def flat(x):
    return x.flat[0]


def values(x):
    d = {"a": x}
    return sum(d.values())


@pytest.mark.parametrize("function, hint", [
    (zipped, r"use zip in the header of a for loop or comprehension"),
    (enumerated, r"use enumerate in the header of a for loop or comprehension"),
    (reversed_list, r"use a slice \(xs\[::-1\]\)"),
    (divided, r"use x // y and x % y"),
    (flat, r"use a NumPy function instead \(np\.ravel\(x\) for \.flat\)"),
    (values, r"index the container instead \(e\.g\. \[d\[k\] for k in d\]"),
])
def test_builtins_attributes_and_container_methods_get_hints_that_work(function, hint):
    with pytest.raises(TransformError, match=hint):
        grad(function)(np.array([1.3, 0.2]) if function is flat else 1.3)


def test_a_called_argument_gets_a_hint_that_works():
    with pytest.raises(TransformError, match=r"call the function by a global or closure name"):
        grad(called_argument, wrt=1)(np.sin, 1.0)


def make_loss(fn):
    def loss(x):
        return fn(x) * 2.0
    return loss


def hinted_rewrites(x):
    xs = [x, 2.0 * x]
    total = sum([a * b for a, b in zip(xs, [3.0, 4.0])]) + xs[::-1][0]
    total = total + sum([i * v for i, v in enumerate(xs)]) + x // 1.0 + (x % 1.0) * 5.0
    d = {"a": x}
    return total + sum([d[k] for k in d]) + np.ravel(np.array([x, x]))[0]


def test_the_hinted_rewrites_of_builtins_are_accepted():
    check_grad(hinted_rewrites, 1.3)
    assert grad(make_loss(np.sin))(1.0) == pytest.approx(2.0 * math.cos(1.0))


def eigenvectors(a):
    w, v = np.linalg.eigh(a)
    return np.sum(v ** 3) + np.sum(w ** 2)


def test_repeated_eigenvalues_of_eigh_have_a_finite_gradient():
    # 1 / (w_j - w_i) between equal eigenvalues gave inf and NaN.
    assert np.all(np.isfinite(grad(eigenvectors)(np.eye(3))))
    # away from the repeat, unchanged: the gradient along a symmetric direction
    a = np.diag([1.0, 2.5, 4.0]) + 0.1
    d = np.array([[0.3, -0.2, 0.5], [-0.2, 0.1, 0.4], [0.5, 0.4, -0.6]])
    numeric = (eigenvectors(a + 1e-6 * d) - eigenvectors(a - 1e-6 * d)) / 2e-6
    assert np.sum(grad(eigenvectors)(a) * d) == pytest.approx(numeric, rel=1e-6)


def rolled_view(x):
    x = x * 1.0
    y = np.rollaxis(x, 1)
    x[0, 0] = 5.0
    return np.sum(y * y)


def einsum_view(x):
    x = x * 1.0
    y = np.einsum("ii->i", x)
    x[0, 0] = 5.0
    return np.sum(y * y)


def einsum_sublist_view(x):
    x = x * 1.0
    y = np.einsum(x, [0, 1], [1, 0])
    x[0, 1] = 5.0
    return np.sum(y * y)


def store_into_einsum_view(x):
    x = x * 1.0
    y = np.einsum("ii->i", x)
    y[0] = 5.0
    return np.sum(x * x)


def einsum_copies(x):
    x = x * 1.0
    y = np.einsum("ij,jk->ik", x, x)
    x[0, 0] = 5.0
    y[0, 0] = 1.0
    z = np.einsum("ii->i", x * 2.0)
    z[0] = 3.0
    return np.sum(y * y) + np.sum(z * x[0])


def test_views_from_rollaxis_and_einsum_are_followed():
    # np.rollaxis and a one-operand einsum return views; the store used to be missed (a
    # wrong gradient for rollaxis).
    x = np.ones((2, 2)) + np.eye(2)
    for function in (rolled_view, einsum_view, einsum_sublist_view):
        with pytest.raises(TransformError, match="a view of it made before"):
            grad(function)(x)
    with pytest.raises(TransformError, match="'y' shares its memory with 'x'"):
        grad(store_into_einsum_view)(x)
    check_grad(einsum_copies, x)


def copies_into(x):
    y = x * 2.0
    np.copyto(y, x)
    return np.sum(y)


def test_a_refused_call_statement_names_its_line():
    # The call of a call statement is made anew by the normal form: the error had no place.
    with pytest.raises(TransformError) as caught:
        grad(copies_into)(np.ones(2))
    assert caught.value.lineno == copies_into.__code__.co_firstlineno + 2
    assert "np.copyto(y, x)" in str(caught.value)


def spaced(h, y):
    return np.sum(np.gradient(y, h) ** 2)


def spaced_2d(h, y):
    gx, gy = np.gradient(y, h, 2.0 * h)
    return np.sum(gx * gy) + np.sum(np.gradient(y, h, edge_order=2, axis=0))


def selected(a):
    conditions = [a > 0.5, a < -0.5]
    return np.sum(np.select(conditions, [a * 2.0, a ** 2], default=a * 0.1))


def pairs_as_lists(x):
    d = dict([["a", x], ["b", x * 2.0], ["a", x * 3.0]])
    return np.sum(d["a"] * d["b"])


def test_gradient_spacings_select_and_dict_of_list_pairs():
    y = np.array([[1.0, 2.0, 4.0], [0.5, 3.0, 1.0], [2.0, 2.5, 0.3]])
    check_grad(spaced, 0.7, y[0], wrt=(0, 1))
    check_grad(spaced_2d, 0.7, y, wrt=(0, 1))
    check_grad(selected, np.array([0.9, -0.8, 0.1, 0.3]))
    check_grad(pairs_as_lists, np.array([0.9, -0.8]))


def item_of(x):
    return x.item() * 2.0


def tolist_of(x):
    return sum(x.tolist())


def hinted_item_and_tolist(x):
    return x[0] * 2.0 + sum(list(x))


def test_item_and_tolist_get_hints_that_work():
    x = np.array([1.5, 2.0])
    with pytest.raises(TransformError, match=r"index it instead \(x\[0\], x\[i, j\]\)"):
        grad(item_of)(x)
    with pytest.raises(TransformError, match=r"use list\(x\) \(its rows\) instead"):
        grad(tolist_of)(x)
    np.testing.assert_array_equal(grad(hinted_item_and_tolist)(x), [3.0, 1.0])
