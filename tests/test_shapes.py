"""Specializing on the arguments' shape class (``chainrule.shapes``).

Code made for one shape class drops ``unbroadcast`` where an operand already has the result's
shape. Every test checks gradients against finite differences: a shape inferred wrongly would
leave a cotangent unsummed, with the wrong shape or values.
"""

import numpy as np
import pytest

import chainrule
from chainrule import cache
from chainrule.shapes import UNKNOWN, broadcast, matmul, shape_class


# -- the shape class of the arguments -------------------------------------------------------

def test_equal_dimensions_share_a_symbol_and_0_1_stay_literal():
    arguments = (np.ones((64, 64)), np.ones((64, 32)), np.ones((50, 32)), np.ones(64))
    assert shape_class(arguments) == (("d0", "d0"), ("d0", "d1"), ("d2", "d1"), ("d0",))
    assert shape_class((np.ones((1, 3)), np.ones((0, 3)))) == ((1, "d0"), (0, "d0"))


def test_numbers_containers_and_numpy_scalars():
    assert shape_class((1.0, [np.ones(3)], np.float64(2.0), np.array(3.0))) == \
        (None, None, (), ())


def test_other_sizes_with_the_same_equalities_are_the_same_class():
    assert shape_class((np.ones((5, 3)), np.ones(3))) == shape_class((np.ones((9, 4)),
                                                                      np.ones(4)))
    assert shape_class((np.ones((5, 3)), np.ones(3))) != shape_class((np.ones((3, 3)),
                                                                      np.ones(3)))


def test_broadcast_follows_numpy():
    assert broadcast([("a", "b"), ("b",)]) == ("a", "b")
    assert broadcast([("a", 1), (1, "b")]) == ("a", "b")
    assert broadcast([(), ("a",)]) == ("a",)
    assert broadcast([("a",), ("b",)]) == UNKNOWN          # NumPy refuses: not promised
    assert broadcast([("a",), UNKNOWN]) == UNKNOWN


def test_matmul_shapes():
    assert matmul(("a", "b"), ("b",)) == ("a",)
    assert matmul(("b",), ("b", "c")) == ("c",)
    assert matmul(("a", "b"), ("b", "c")) == ("a", "c")
    assert matmul(("a",), ("a",)) == ()
    assert matmul(("a", "b"), ("c",)) == UNKNOWN
    assert matmul(("n", "a", "b"), ("b", "c")) == UNKNOWN  # stacks: left to NumPy


# -- what the generated code does with it -----------------------------------------------------

def recurrent(Wh, Wx, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t])
    return np.sum(h * h)


def _recurrent_arguments(steps, hidden=4, inputs=3, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((hidden, hidden)) * 0.4, rng.standard_normal((hidden, inputs)),
            rng.standard_normal((steps, inputs)), rng.standard_normal(hidden))


def test_recurrent_step_needs_no_unbroadcast_nor_stored_products():
    arguments = _recurrent_arguments(5)
    source = chainrule.source(recurrent, *arguments, wrt=(0, 1, 3))
    assert "unbroadcast" not in source
    assert "t3_stack" not in source and "t5_stack" not in source   # kept only for a shape
    chainrule.check_grad(recurrent, *arguments, wrt=(0, 1, 2, 3))


def test_source_without_arguments_keeps_every_unbroadcast():
    # Without arguments there is no shape class: the general code is shown.
    assert "unbroadcast(" in chainrule.grad(recurrent, wrt=(0, 1)).source


def test_another_sequence_length_reuses_the_transform():
    gradient = chainrule.grad(recurrent, wrt=(0, 1))
    gradient(*_recurrent_arguments(5))
    made = cache.cache_info().misses
    for steps in (2, 7, 11):
        arguments = _recurrent_arguments(steps, seed=steps)
        chainrule.check_grad(recurrent, *arguments, wrt=(0, 1))
        gradient(*arguments)
    assert cache.cache_info().misses == made


def add_and_reduce(a, b):
    return np.sum(np.tanh(a + b) * a)


@pytest.mark.parametrize("shape_a, shape_b", [
    ((3,), (3,)), ((3,), (1,)), ((2, 3), (3,)), ((2, 3), (2, 1)), ((3,), ()), ((1, 3), (2, 1)),
])
def test_one_gradient_function_through_broadcasting_shape_classes(shape_a, shape_b):
    # One gradient function, called in turn with shapes that broadcast and shapes that do
    # not: each class gets its own code, and each gradient has its argument's shape.
    gradient = _SHARED_GRADIENT
    rng = np.random.default_rng(len(shape_a) + 3 * len(shape_b))
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    da, db = gradient(a, b)
    assert np.shape(da) == shape_a and np.shape(db) == shape_b
    chainrule.check_grad(add_and_reduce, a, b, wrt=(0, 1))
    chainrule.check_grad(gradient, a, b, wrt=(0, 1))


_SHARED_GRADIENT = chainrule.grad(add_and_reduce, wrt=(0, 1))


def test_a_broadcasting_operand_keeps_its_unbroadcast():
    source = chainrule.source(add_and_reduce, np.ones((2, 3)), np.ones(3), wrt=(0, 1))
    assert "unbroadcast(" in source                 # b's cotangent sums over the rows
    assert "unbroadcast" not in chainrule.source(add_and_reduce, np.ones(3), np.ones(3),
                                                 wrt=(0, 1))


def growing(w, n):
    y = 0.0
    for i in range(n):
        y = y + w * i            # y is a number first, then an array: no shape is promised
    return np.sum(y * y)


def test_a_loop_carried_value_that_changes_shape_is_left_to_numpy():
    w = np.array([0.5, -1.0, 2.0])
    source = chainrule.source(growing, w, 4)
    assert "unbroadcast(" in source
    chainrule.check_grad(growing, w, 4)


def rows(X, v):
    total = 0.0
    for x in X:
        total = total + np.sum(np.sin(x * v))
    return total


def test_iterating_an_arrays_rows():
    rng = np.random.default_rng(3)
    X, v = rng.standard_normal((4, 3)), rng.standard_normal(3)
    chainrule.check_grad(rows, X, v, wrt=(0, 1))
    chainrule.check_grad(rows, X, rng.standard_normal((4, 1, 3)), wrt=(0, 1))


def indexed(X, w):
    return np.sum(np.cos(X[0] * w) + X[1])


def test_indexing_by_a_literal():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((2, 3))
    for w in (rng.standard_normal(3), rng.standard_normal(1), rng.standard_normal((2, 3))):
        chainrule.check_grad(indexed, X, w, wrt=(0, 1))


def test_numpy_scalars_and_zero_dimensional_arrays():
    for a, b in ((np.float64(0.3), np.ones(3)), (np.array(0.3), np.ones((2, 2))),
                 (np.ones(3), np.float32(2.0))):
        chainrule.check_grad(add_and_reduce, a, b, wrt=(0, 1))


def test_many_exact_shapes_do_not_grow_without_end():
    gradient = chainrule.grad(recurrent, wrt=(0, 1))
    for steps in range(2, 300):
        gradient(*_recurrent_arguments(steps))
    kinds = ("numeric",) * 4
    assert len(gradient._specialized[kinds]) <= 256


def test_source_before_any_call_does_not_stop_specialization():
    chainrule.clear_cache()
    gradient = chainrule.grad(recurrent, wrt=(0, 1))
    assert "unbroadcast(" in gradient.source                       # general: no class yet
    arguments = _recurrent_arguments(5)
    gradient(*arguments)
    assert "unbroadcast" not in gradient.source                    # the latest call's class
    assert "unbroadcast" not in chainrule.grad(recurrent, wrt=(0, 1)).source_for(*arguments)


def test_a_redefined_callee_refreshes_the_code_of_every_size(tmp_path):
    import importlib.util
    import linecache
    path = tmp_path / "shaped_callee.py"
    path.write_text("import numpy as np\n\n\ndef helper(v):\n    return v * v\n\n\n"
                    "def f(W, v):\n    return np.sum(np.tanh(W @ v)) + np.sum(helper(v))\n")
    spec = importlib.util.spec_from_file_location("chainrule_shaped_callee", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    gradient = chainrule.grad(module.f, wrt=1)
    small, large = (np.ones((2, 3)), np.full(3, 0.5)), (np.ones((4, 5)), np.full(5, 0.5))
    gradient(*small)
    gradient(*large)                                     # two sizes of one class
    assert "g @ W" in gradient.source or "_bar @ W" in gradient.source   # made for the class
    # Redefine the callee the way a notebook cell does (source registered in linecache).
    source = "def helper(v):\n    return 3.0 * v\n"
    filename = "<ipython-input-shaped-callee>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), module.__dict__)
    for W, v in (small, large):
        expected = W.T @ (1.0 - np.tanh(W @ v) ** 2) + 3.0
        np.testing.assert_allclose(gradient(W, v), expected, rtol=1e-12)


def products(A, B, u, w, v):
    return (np.sum(np.tanh(A @ B)) + np.sum(np.sin(u @ A)) + np.sum(np.cos(A @ w))
            + (u @ v) ** 2)


def test_matrix_products_written_as_products_for_every_dimension_pair():
    rng = np.random.default_rng(6)
    arguments = (rng.standard_normal((3, 4)), rng.standard_normal((4, 2)),
                 rng.standard_normal(3), rng.standard_normal(4), rng.standard_normal(3))
    source = chainrule.source(products, *arguments, wrt=(0, 1, 2, 3, 4))
    for form in ("@ B.T", "A.T @", "A @ ", "@ A", " * v", " * u"):
        assert form in source, (form, source)
    # A's cotangents in A @ w and u @ A are outer products: the helpers stay (loops sum them)
    assert source.count("matmul_adjoint_lhs(") == 1 and source.count("matmul_adjoint_rhs(") == 1
    chainrule.check_grad(products, *arguments, wrt=(0, 1, 2, 3, 4))


def matmul_function_then_broadcast(M, v, B):
    return np.sum(np.sin(np.matmul(M, v) + B))


def test_np_matmul_is_a_product_not_an_elementwise_ufunc():
    # np.matmul is a ufunc too (with a signature): taken for an elementwise one, its result
    # (3,) would look like (3, 3), and its cotangent would go unsummed.
    rng = np.random.default_rng(9)
    M, v, B = rng.standard_normal((3, 3)), rng.standard_normal(3), rng.standard_normal((2, 3))
    chainrule.check_grad(matmul_function_then_broadcast, M, v, B, wrt=(0, 1, 2))
    chainrule.check_grad(matmul_function_then_broadcast, M, v, rng.standard_normal((3, 3)),
                         wrt=(0, 1, 2))


def test_value_and_grad_per_shape_class():
    both = chainrule.value_and_grad(add_and_reduce, wrt=(0, 1))
    rng = np.random.default_rng(10)
    for shape_a, shape_b in (((3,), (3,)), ((2, 3), (1, 3)), ((3,), (3,))):
        a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
        value, (da, db) = both(a, b)
        assert value == pytest.approx(add_and_reduce(a, b), rel=1e-14)
        expected = chainrule.grad(add_and_reduce, wrt=(0, 1))(a, b)
        np.testing.assert_array_equal(da, expected[0])
        np.testing.assert_array_equal(db, expected[1])
        assert db.shape == shape_b


def scaled_by_an_item(x, Xs):
    t = x * Xs[0]
    return np.sum(t * t)


def test_object_arrays_and_subclasses_have_no_shape_class():
    items = np.empty(2, dtype=object)
    items[0], items[1] = np.full((2, 3), 0.5), np.full((2, 3), 2.0)
    assert shape_class((items, np.ma.masked_array(np.ones(3)), np.ones(3))) == \
        (None, None, ("d0",))
    x = np.array([0.3, -0.2, 0.1])
    # An element of an object array is whatever it holds: here a (2, 3) array, not a number.
    # f = sum over the 2 rows of (0.5 x)^2, so df/dx = 2 * 2 * 0.25 * x = x.
    np.testing.assert_allclose(chainrule.grad(scaled_by_an_item)(x, items), x, rtol=1e-12)


def test_source_shows_the_code_the_latest_call_ran():
    gradient = chainrule.grad(add_and_reduce, wrt=(0, 1))
    same, broadcasting = (np.ones(3), np.ones(3)), (np.ones(3), np.ones(1))
    gradient(*same)
    assert "unbroadcast" not in gradient.source
    gradient(*broadcasting)
    assert "unbroadcast(" in gradient.source
    gradient(*same)                                      # served from the cache
    assert "unbroadcast" not in gradient.source
    gradient(1.5, 2.5)                                   # other kinds
    assert "unbroadcast" not in gradient.source and "def add_and_reduce_grad" in gradient.source
