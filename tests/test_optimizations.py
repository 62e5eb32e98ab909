"""What the generated code is made to do fast, and that doing it fast changes no value.

* ``chainrule.simplify``: copy propagation, coalescing and forward substitution on generated
  code (checked on small programs: the simplified code must compute the same values);
* reverse loops walking their stacks backwards;
* matrix-product adjoints summed after a loop (``chainrule.batching``).
"""

import math
import re
import textwrap

import gast
import numpy as np
import pytest

import chainrule
from chainrule import runtime
from chainrule.simplify import simplify
from chainrule.syntax import render


# -- simplify, on small programs ----------------------------------------------------------------

def _simplified(code: str) -> str:
    """``code`` (statements; lines starting with '#' kept as comment lines), as the body of
    a loop (simplify works on loops), simplified."""
    code = textwrap.dedent(code).strip()
    if "#" in code:                        # comment lines kept: one statement per line
        body = [line if line.startswith("#") else gast.parse(line).body[0]
                for line in code.splitlines()]
    else:
        body = gast.parse(code).body
    loop = gast.parse("for _ in range(1):\n    pass").body[0]
    loop.body = body
    rendered = render(simplify([loop]))
    return textwrap.dedent(rendered.split("\n", 1)[1]) if "\n" in rendered else ""


def _run(code: str, **inputs) -> dict:
    namespace = {"f": lambda v: v.append(1.0), **inputs}
    exec(code, namespace)
    return namespace


def test_straight_line_code_is_left_as_it_is():
    items = [gast.parse("a = x").body[0], gast.parse("r = a + 1.0").body[0]]
    assert render(simplify(items)) == "a = x\nr = a + 1.0"


@pytest.mark.parametrize("code, expected", [
    # a copy read later reads its source; the copy itself goes
    ("b = x * 2.0\na = b\nr = a + 1.0", "r = x * 2.0 + 1.0"),
    # the source reassigned: the copy must stay
    ("a = x\nx = 3.0\nr = a + x", "a = x\nx = 3.0\nr = a + x"),
    # coalescing: b lives only up to the copy
    ("b = x + 1.0\na = b\nr = a * 2.0\ns = a - 0.5", "a = x + 1.0\nr = a * 2.0\ns = a - 0.5"),
    # a is read after b holds its value: no coalescing
    ("a = 1.0\nb = x + 1.0\nr = a\na = b\ns = a + r", "a = 1.0\nr = a\na = x + 1.0\ns = a + r"),
])
def test_simplify_keeps_values(code, expected):
    assert _simplified(code) == expected
    for x in (0.5, -2.0):
        before, after = _run(code, x=x), _run(_simplified(code), x=x)
        for variable in ("r", "s"):
            if variable in before:
                assert after[variable] == before[variable]


BRANCH_COPY = """
b = a - 1.0
if c > 0.0:
    a = -0.8 * b
else:
    a = b
r = a * 2.0
"""


@pytest.mark.parametrize("code, coalesced", [
    (BRANCH_COPY, True),
    # a read between the assignment of b and the if
    (BRANCH_COPY.replace("b = a - 1.0\n", "b = a - 1.0\nq = a * 3.0\n"), False),
    # b read after a was assigned in the branch
    (BRANCH_COPY.replace("a = -0.8 * b", "a = -0.8 * b\n    q = b * 2.0"), False),
    # a branch that does not assign a
    (BRANCH_COPY.replace("a = -0.8 * b", "q = -0.8 * b"), False),
])
def test_copies_in_branches_coalesce_only_when_values_stay(code, coalesced):
    simplified = _simplified(code)
    assert ("else" not in simplified) == coalesced, simplified
    for a, c in ((2.0, 1.0), (2.0, -1.0)):
        before, after = _run(code.strip(), a=a, c=c), _run(simplified, a=a, c=c)
        assert after["r"] == before["r"]
        if "q" in before:
            assert after["q"] == before["q"]


def test_simplify_does_not_move_arithmetic_past_a_call_that_gets_its_operand():
    code = "t = v * 2\nf(v)\ny = t + 1"
    assert _simplified(code) == code
    assert _simplified("t = w * 2\nf(v)\ny = t + 1") == "f(v)\ny = w * 2 + 1"


def test_simplify_keeps_each_user_line_under_its_comment():
    code = "# line 1: t = x * 2\nt = x * 2\n# line 2: y = t + 1\ny = t + 1"
    assert _simplified(code) == code


@pytest.mark.parametrize("code, expected", [
    ("t = -a\nk = k + t * b\nm = m - c * t", "k = k - a * b\nm = m + c * a"),
    # another kind of read: the negation stays
    ("t = -a\nk = k + t * b\nm = t / c", "t = -a\nk = k + t * b\nm = t / c"),
])
def test_negation_read_in_products_is_sunk(code, expected):
    assert _simplified(code) == expected
    values = dict(a=1.5, b=-0.25, c=3.0, k=0.125, m=-2.0)
    before, after = _run(code, **values), _run(expected, **values)
    assert (after["k"], after["m"]) == (before["k"], before["m"])


def test_simplify_folds_signs_brought_together():
    assert _simplified("t = -a\nk = k + t") == "k = k - a"
    assert _simplified("t = -a\nk = k - t") == "k = k + a"
    assert _simplified("t = -a\nk = -t * b") == "k = a * b"


def test_simplify_does_not_change_the_statements_it_was_given():
    statement = gast.parse("r = a").body[0]
    loop = gast.parse("for _ in range(1):\n    pass").body[0]
    loop.body = [gast.parse("a = x").body[0], statement, gast.parse("s = r * 2").body[0]]
    assert "r = x" in render(simplify([loop]))
    assert statement.value.id == "a"


# -- generated loops ----------------------------------------------------------------------------

def bounce(vy, vx):
    x = 0.0
    y = 0.0
    while x < 4.0:
        vy = vy - 9.81 * 0.001
        x = x + vx * 0.001
        y = y + vy * 0.001
        if y < 0.0:
            y = -y
            vy = -0.8 * vy
    return y


def test_reverse_of_a_loop_with_a_branch_has_no_copies():
    source = chainrule.grad(bounce).source_for(4.5, 3.0)
    reverse = source[source.index("reverse sweep"):]
    copies = [line for line in reverse.splitlines()
              if line.strip().count(" ") == 2 and line.strip().split(" = ")[-1].isidentifier()
              and "=" in line and not line.strip().startswith("#")]
    assert copies == ["    y_1_bar = out_bar"] or copies == [], source
    assert "for y_2 in reversed(y_2_stack):" in source
    assert ".pop()" not in source
    assert "else" not in source, source         # the branch that changed nothing copies nothing
    chainrule.check_grad(bounce, 4.5, 3.0)           # raises on a mismatch


def nested(x, n):
    for i in range(n):
        for j in range(i + 1):
            x = math.sin(x) * 1.1
    return x


def test_nested_loops_pop_inner_stacks():
    source = chainrule.grad(nested).source_for(0.3, 4)
    assert "reversed(" in source and ".pop()" in source, source
    chainrule.check_grad(nested, 0.3, 4)


# -- matrix products summed after the loop ------------------------------------------------------

def recurrent(Wh, Wx, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t])
    return np.sum(h * h)


def same_matrix_twice(W, U, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + W @ xs[t]) + np.sin(xs[t] @ U)
    return np.sum(h * h)


def matrix_changes(W, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        W = W * 0.9
    return np.sum(h * h)


def adjoint_used_otherwise(W, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t]) + 0.01 * np.sum(W)
    return np.sum(h * h)


def matrices(W, Xs, H):
    for t in range(Xs.shape[0]):
        H = np.tanh(W @ H + Xs[t])
    return np.sum(H * H)


RNG = np.random.default_rng(5)
W4, U4 = RNG.standard_normal((4, 4)) * 0.4, RNG.standard_normal((4, 4)) * 0.4
W43 = RNG.standard_normal((4, 3)) * 0.4
XS = RNG.standard_normal((6, 4))
XS3 = RNG.standard_normal((6, 3))
H4 = RNG.standard_normal(4)
MATS = RNG.standard_normal((3, 4, 2))


@pytest.mark.parametrize("function, args, summed", [
    (recurrent, (W4, W43, XS3, H4), "summed_matmul_adjoint_lhs"),
    (same_matrix_twice, (W4, U4, XS, H4), "summed_matmul_adjoint_rhs"),
    (matrix_changes, (W4, XS, H4), None),
    (adjoint_used_otherwise, (W4, XS, H4), None),
    (matrices, (W4, MATS, RNG.standard_normal((4, 2))), "summed_matmul_adjoint_lhs"),
])
def test_matrix_product_adjoints_summed_after_the_loop(function, args, summed):
    wrt = tuple(range(len(args) - 2)) if function in (recurrent, same_matrix_twice) else 0
    gradient = chainrule.grad(function, wrt=wrt)
    source = gradient.source_for(*args)
    if summed:
        assert summed in source, source
        loop = source[source.index("reversed("):]           # the reverse loop
        loop_body = loop[:loop.index("summed")]
        assert "matmul_adjoint_lhs(" not in loop_body, source
    else:
        assert "summed_" not in source, source
    before = [np.copy(a) for a in args]
    chainrule.check_grad(function, *args, wrt=wrt)
    for original, now in zip(before, args):
        np.testing.assert_array_equal(original, now)


def test_recurrent_gradient_matches_backprop_through_time():
    from_chainrule = chainrule.grad(recurrent, wrt=(0, 1))(W4, W43, XS3, H4)
    hs = [H4]
    for t in range(XS3.shape[0]):
        hs.append(np.tanh(W4 @ hs[-1] + W43 @ XS3[t]))
    h_bar, Wh_bar, Wx_bar = 2.0 * hs[-1], np.zeros_like(W4), np.zeros_like(W43)
    for t in reversed(range(XS3.shape[0])):
        z_bar = h_bar * (1.0 - hs[t + 1] ** 2)
        Wh_bar += np.outer(z_bar, hs[t])
        Wx_bar += np.outer(z_bar, XS3[t])
        h_bar = W4.T @ z_bar
    np.testing.assert_allclose(from_chainrule[0], Wh_bar, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(from_chainrule[1], Wx_bar, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("x_shape, y_shapes", [
    ((4, 3), [(3,)] * 5),                      # matrix times vectors: one product
    ((4, 3), [(3, 2)] * 3),                    # matrix times matrices: summed one by one
    ((3,), [(3,)] * 2),                        # vector dot vector
    ((4, 3), []),                              # no iteration
])
def test_summed_matmul_adjoints_equal_the_sum_of_their_terms(x_shape, y_shapes):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape)
    ys = [rng.standard_normal(s) for s in y_shapes]
    gs = [rng.standard_normal(np.shape(x @ y)) for y in ys]
    expected = sum((runtime.matmul_adjoint_lhs(g, x, y) for g, y in zip(gs, ys)),
                   runtime.zero_cotangent(x))
    np.testing.assert_allclose(runtime.summed_matmul_adjoint_lhs(gs, ys, x), expected,
                               rtol=1e-13)
    np.testing.assert_allclose(runtime.summed_matmul_adjoint_lhs(runtime.stacked_rows(gs),
                                                                 ys, x), expected, rtol=1e-13)
    # the same products the other way round: y @ x.T-shaped, x on the right
    xt = x.T
    gs_r = [rng.standard_normal(np.shape(y.T @ xt)) if np.ndim(y) > 1 else
            rng.standard_normal(np.shape(y @ xt)) for y in ys]
    terms = [(g, y.T if np.ndim(y) > 1 else y) for g, y in zip(gs_r, ys)]
    expected = sum((runtime.matmul_adjoint_rhs(g, v, xt) for g, v in terms),
                   runtime.zero_cotangent(xt))
    np.testing.assert_allclose(runtime.summed_matmul_adjoint_rhs(
        [g for g, _ in terms], [v for _, v in terms], xt), expected, rtol=1e-13)


def nested_recurrent(W, xs, h):
    for epoch in range(2):
        for t in range(xs.shape[0]):
            h = np.tanh(W @ h + xs[t])
        W = W * 0.9
    return np.sum(h * h)


def test_summed_products_in_a_nested_loop():
    source = chainrule.grad(nested_recurrent).source_for(W4, XS, H4)
    assert "summed_matmul_adjoint_lhs" in source, source
    chainrule.check_grad(nested_recurrent, W4, XS, H4)


def test_summed_products_keep_the_dtype_of_one_by_one_sums():
    W32 = W4.astype(np.float32)
    gradient = chainrule.grad(recurrent, wrt=(0, 1))(W32, W43.astype(np.float32),
                                                      XS3.astype(np.float32), H4)
    assert gradient[0].dtype == np.float32 and gradient[1].dtype == np.float32
    g, y = np.ones(4, np.float32), np.ones(4, np.float32)
    assert runtime.summed_matmul_adjoint_lhs([g], [y], W32).dtype == \
        (runtime.zero_cotangent(W32) + np.outer(g, y)).dtype


def both_sides(W, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t] @ W)
    return np.sum(h * h)


def test_matrix_used_on_both_sides_in_a_loop():
    source = chainrule.grad(both_sides).source_for(W4, XS, H4)
    assert "summed_matmul_adjoint_lhs" in source and "summed_matmul_adjoint_rhs" in source
    assert "W_bar = W_bar + summed_matmul_adjoint" in source, source   # the second adds
    chainrule.check_grad(both_sides, W4, XS, H4)


# -- rows read from the array a loop walks (chainrule.loop_rows) ------------------------------

def walks_rows(Wh, Wx, xs, h):
    for x in xs:
        h = np.tanh(Wh @ h + Wx @ x)
    return np.sum(h * h)


def walks_rows_backwards(Wh, Wx, xs, h):
    for x in reversed(xs):
        h = np.tanh(Wh @ h + Wx @ x)
    return np.sum(h * h)


def every_other_row(Wh, Wx, xs, h):
    for t in range(1, xs.shape[0], 2):
        x = xs[t]
        h = np.tanh(Wh @ h + Wx @ x)
    return np.sum(h * h)


def rows_from_the_end(Wh, Wx, xs, h):
    for t in range(-1, -xs.shape[0] - 1, -1):
        h = np.tanh(Wh @ h + Wx @ xs[t])
    return np.sum(h * h)


def zipped_with_a_shorter_list(Wh, Wx, xs, h, scales):
    for x, s in zip(xs, scales):
        h = np.tanh(Wh @ h + Wx @ x) * s
    return np.sum(h * h)


def counted_rows(Wh, Wx, xs, h):
    for t, x in enumerate(xs):
        h = np.tanh(Wh @ h + Wx @ x) + 0.01 * t
    return np.sum(h * h)


def array_renamed_after_the_loop(Wh, Wx, xs, h):
    for x in xs:
        h = np.tanh(Wh @ h + Wx @ x)
    xs = xs * 2.0
    return np.sum(h * h) + np.sum(xs)


def stops_early(Wh, Wx, xs, h):
    for x in xs:
        h = np.tanh(Wh @ h + Wx @ x)
        if np.sum(h) > 1e9:
            break
    return np.sum(h * h)


def called(Wh, Wx, xs, h):
    return walks_rows(Wh, Wx, xs, h) * 0.5


@pytest.mark.parametrize("function, extra, from_array", [
    (walks_rows, (), True),
    (walks_rows_backwards, (), True),
    (every_other_row, (), True),
    (rows_from_the_end, (), True),
    (zipped_with_a_shorter_list, ([0.9, 1.1, 0.8, 1.2],), True),
    (counted_rows, (), True),
    (array_renamed_after_the_loop, (), True),     # the new `xs` gets a name of its own
    (stops_early, (), False),                     # the rows walked are known only by count
    (called, (), False),      # a called function's pair is made for kinds, not shapes
])
def test_rows_of_an_array_the_loop_walks_are_read_from_it(function, extra, from_array):
    args = (W4, W43, XS3, H4) + extra
    source = chainrule.grad(function, wrt=(0, 1)).source_for(*args)
    assert "summed_matmul_adjoint_lhs" in source, source
    if from_array:
        assert "indexed_rows(xs, " in source, source
        rows_of_xs = {"x"} | set(re.findall(r"(\w+) = xs\[", source))
        assert not rows_of_xs & set(re.findall(r"_stack\.append\((\w+)\)", source)), source
    else:
        assert "indexed_rows(xs, " not in source.split("def called_grad")[-1], source
    chainrule.check_grad(function, *args, wrt=(0, 1))
    chainrule.check_grad(function, W4, W43, XS3[:1], H4, *extra, wrt=(0, 1))


def test_rows_of_a_vector_are_not_read_back():
    # The items of a vector are copies, not views: only arrays of two or more dimensions
    # qualify (the rows are those the loop saw, whatever later code does to the array).
    def products(w, v, h):
        for x in v:
            h = np.tanh(w * x + h)
        return np.sum(h)

    source = chainrule.grad(products).source_for(0.7, XS3[:, 0], 0.1)
    assert "indexed_rows" not in source, source
    chainrule.check_grad(products, 0.7, XS3[:, 0], 0.1)


@pytest.mark.parametrize("indices", [
    range(5), range(4, -1, -1), range(1, 5, 2), range(-1, -6, -1), range(-5, -1),
    range(-2, 3), range(3, -3, -2), range(0), range(4, 5), range(-1, -2, -1)])
def test_indexed_rows_are_the_rows_at_the_indices(indices):
    array = np.arange(15.0).reshape(5, 3)
    rows = runtime.indexed_rows(array, indices)
    expected = np.array([array[i] for i in indices]).reshape(len(indices), 3)
    np.testing.assert_array_equal(rows, expected)
    if (indices and (indices[0] < 0) == (indices[-1] < 0)) or not indices:
        assert np.shares_memory(rows, array) or not indices     # a slice: no copy


# -- a full reduction's cotangent kept scalar (chainrule.scalar_cotangents) --------------------

A34 = RNG.standard_normal((3, 4))
B34 = RNG.standard_normal((3, 4))
V4 = RNG.standard_normal(4)


@pytest.mark.parametrize("function, args, scalar", [
    (lambda a, b: np.sum(a * a), (A34, B34), True),
    (lambda a, b: np.mean((a - b) ** 2), (A34, B34), True),
    (lambda a, b: np.sum(np.tanh(a) * b), (A34, B34), True),
    (lambda a, b: np.sum(np.where(a > 0, a * b, b)), (A34, B34), None),
    (lambda a, b: np.sum(a + b), (A34, B34), False),          # the cotangent is g itself
    (lambda a, b: np.sum(2.0 * a - b), (A34, B34), False),    # g * 2.0: still a scalar
    (lambda a, b: np.sum(a * b), (A34, V4), False),           # b's cotangent reads only a
    (lambda a, b: np.sum(a), (A34, B34), False),              # the gradient is the broadcast
    (lambda a, b: np.sum(a * a) + np.sum(a * b) * np.sum(a), (A34, B34), None),
    (lambda a, b: np.mean(a * a) * np.sum(a * a), (A34, B34), None),
])
def test_a_full_reductions_cotangent_stays_scalar_where_numpy_broadcasts_it(function, args,
                                                                             scalar):
    source = chainrule.grad(function, wrt=(0, 1)).source_for(*args)
    if scalar is not None:
        assert ("broadcast_to" not in source) == scalar, source
    chainrule.check_grad(function, *args, wrt=(0, 1))
    value, gradients = chainrule.value_and_grad(function, wrt=(0, 1))(*args)
    assert value == function(*args)
    for gradient, argument in zip(gradients, args):
        assert gradient.shape == argument.shape


def summed_in_a_loop(a, b):
    total = 0.0
    for _ in range(3):
        a = np.tanh(a * b)
        total = total + np.sum(a * a)
    return total


def test_a_full_reductions_scalar_cotangent_in_a_loop_and_in_float32():
    source = chainrule.grad(summed_in_a_loop, wrt=(0, 1)).source_for(A34, B34)
    assert "broadcast_to" not in source, source
    chainrule.check_grad(summed_in_a_loop, A34, B34, wrt=(0, 1))
    single = chainrule.grad(summed_in_a_loop, wrt=(0, 1))(A34.astype(np.float32),
                                                           B34.astype(np.float32))
    double = chainrule.grad(summed_in_a_loop, wrt=(0, 1))(A34, B34)
    for low, high in zip(single, double):
        assert low.dtype == np.float32
        np.testing.assert_allclose(low, high, rtol=1e-4, atol=1e-5)


# -- the value left out of grad (chainrule.dead_code) -----------------------------------------

def squared_error(W, X, Y):
    out = np.tanh(X @ W)
    return np.mean((out - Y) ** 2)


def test_grad_leaves_out_a_value_known_to_be_a_real_scalar():
    W, X, Y = RNG.standard_normal((4, 3)), RNG.standard_normal((5, 4)), \
        RNG.standard_normal((5, 3))
    source = chainrule.grad(squared_error).source_for(W, X, Y)
    code = "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))
    assert "np.mean" not in code and "** 2" not in code, source
    assert "out_bar = 1.0" in source and "scalar_seed" not in source, source
    assert "count = np.size(Y)" in source, source     # read from an argument of its shape
    chainrule.check_grad(squared_error, W, X, Y)
    value, gradient = chainrule.value_and_grad(squared_error)(W, X, Y)
    assert value == squared_error(W, X, Y)            # value_and_grad still makes it
    np.testing.assert_array_equal(gradient, chainrule.grad(squared_error)(W, X, Y))


def complex_valued(x):
    return np.sum(x * x) * 1j


def summed_with(x, c):
    return np.sum(x * c)


def by_rows(x):
    return np.sum(x * x, axis=0)


def python_number(x, a):
    return np.sum(x * x) + a ** 0.5


@pytest.mark.parametrize("function, args, message", [
    (complex_valued, (np.ones(3),), "real scalar output"),
    (summed_with, (np.ones(3), np.array([1j, 2.0, 3.0])), "real scalar output"),
    (by_rows, (np.ones((2, 3)),), r"scalar output, got an array of shape \(3,\)"),
    (python_number, (np.ones(3), -4.0), "real scalar output"),
])
def test_outputs_that_are_not_real_scalars_are_still_refused(function, args, message):
    with pytest.raises(ValueError, match=message):
        chainrule.grad(function)(*args)


# -- rows collected once, stacks read backwards (chainrule.batching) ---------------------------

_REVERSE_LOOP = """
for h_1, t4 in zip(reversed(h_1_stack), reversed(t4_stack)):
    g = h_1_bar * (1.0 - h_1 * h_1)
    W_bar = W_bar + matmul_adjoint_lhs(g, W, h_1)
    U_bar = U_bar + matmul_adjoint_lhs(g, U, t4)
    k = g * 0.5
    V_bar = V_bar + matmul_adjoint_lhs(k, V, h_1)
    k = k + 1.0
    V_bar = V_bar + matmul_adjoint_lhs(k, V, h_1)
    h_1_bar = g @ W
"""


def _run_reverse_loop(statements, namespace):
    code = render(statements)
    scope = {"matmul_adjoint_lhs": runtime.matmul_adjoint_lhs, "np": np,
             "summed_matmul_adjoint_lhs": runtime.summed_matmul_adjoint_lhs,
             "stacked_rows": runtime.stacked_rows, **namespace}
    exec(code, scope)
    return code, scope


def test_rows_are_collected_once_and_stacks_are_read_backwards():
    from chainrule.batching import sum_products_after
    rng = np.random.default_rng(8)
    namespace = {"W": rng.standard_normal((3, 3)), "U": rng.standard_normal((3, 2)),
                 "V": rng.standard_normal((3, 3)),
                 "h_1_stack": [rng.standard_normal(3) for _ in range(4)],
                 "t4_stack": [rng.standard_normal(2) for _ in range(4)],
                 "h_1_bar": rng.standard_normal(3),
                 "W_bar": 0.0, "U_bar": 0.0, "V_bar": 0.0}
    _, expected = _run_reverse_loop([gast.parse(_REVERSE_LOOP).body[0]], namespace)

    loop = gast.parse(_REVERSE_LOOP).body[0]
    counter = iter(range(100))
    before, after, alone = sum_products_after(
        loop, {"matmul_adjoint_lhs": runtime.matmul_adjoint_lhs}, lambda n, f: n,
        lambda base: f"{base}_{next(counter)}", {"W_bar", "U_bar", "V_bar"})
    code, got = _run_reverse_loop(before + [loop] + after, namespace)
    for adjoint in ("W_bar", "U_bar", "V_bar"):
        np.testing.assert_allclose(got[adjoint], expected[adjoint], rtol=1e-13)
    assert alone == {"W_bar", "U_bar", "V_bar"}
    assert code.count("g_rows") and code.count(".append(g)") == 1, code   # g: one list
    assert "stacked_rows(g_rows" in code, code                             # read twice
    assert code.count(".append(k)") == 2, code   # k changes between its two reads
    assert "h_1_stack[::-1]" in code and "t4_stack[::-1]" in code, code
    assert "append(h_1)" not in code and "append(t4)" not in code, code


def test_summed_adjoint_refuses_rows_of_different_counts():
    with pytest.raises(ValueError, match="internal error: 2 cotangents for 3 values"):
        runtime.summed_matmul_adjoint_lhs([np.ones(2)] * 2, [np.ones(2)] * 3, np.eye(2))


def store_before_product(W, xs):
    h = np.zeros(W.shape[1])
    s = 0.0
    for t in range(xs.shape[0]):
        h[0] = xs[t, 0]                 # an element store into the vector the product reads
        s = s + np.sum(np.tanh(W @ h))
    return s


def store_after_product(W, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h)
        h[0] = xs[t, 0]                 # the next turn's operand changed in place
    return np.sum(h * h)


def view_row(W, U, xs, h):
    X = xs * 1.0
    for t in range(xs.shape[0] - 1):
        x = X[t]                        # a view of row t
        h = np.tanh(W @ h + U @ x)
        X[t + 1] = X[t + 1] + h[0]      # changes the row the next turn reads
    return np.sum(h * h)


@pytest.mark.parametrize("function, args, wrt", [
    (store_before_product, (W4, XS), 0),
    (store_after_product, (W4, XS, H4), 0),
    (view_row, (W4, U4, XS, H4), (0, 1)),
])
def test_loops_that_undo_element_stores_are_not_summed_after(function, args, wrt):
    # Each reverse turn puts back what its primal turn overwrote; rows read after the loop
    # would all see the arrays as they were before it (found by a helper's attack).
    assert "summed_" not in chainrule.grad(function, wrt=wrt).source_for(*args)
    chainrule.check_grad(function, *args, wrt=wrt)


# -- element stores in a loop: the cotangent updated in place (chainrule.element_updates) ------

def rows_into_a_preallocated_array(W, x0):
    h = np.zeros((6, 3))
    h[0] = x0
    for t in range(5):
        h[t + 1] = np.tanh(W @ h[t])
    return np.sum(h * h)


def running_sum(x):
    c = np.zeros(x.shape[0])
    c[0] = x[0]
    for i in range(1, x.shape[0]):
        c[i] = c[i - 1] + x[i]
    return np.sum(c * c)


def cotangent_shared_before_the_loop(x):
    a = x * 1.0
    h = np.zeros(4)
    h[0] = x[0]
    for i in range(3):
        h[i + 1] = np.sin(h[i]) + a[i]
    s = h + a                           # h's and a's cotangents start as one array
    return np.sum(s * s)


def list_items_in_a_loop(x):
    xs = [0.0] * 4
    xs[0] = x[0]
    for i in range(3):
        xs[i + 1] = xs[i] * x[i + 1] + 1.0
    return xs[3] * xs[2]


def repeated_fancy_positions(x):
    y = np.zeros(3)
    for i in range(2):
        y[[i, i + 1]] = y[[i, i + 1]] + x[i] * np.array([1.0, 2.0])
    return np.sum(y * y)


@pytest.mark.parametrize("function, args, in_place", [
    (rows_into_a_preallocated_array, (W4[:3, :3], XS3[0]), True),
    (running_sum, (XS[:, 0],), True),
    (cotangent_shared_before_the_loop, (XS[0],), True),
    (list_items_in_a_loop, (XS[0],), None),
    (repeated_fancy_positions, (XS[0, :2],), None),
])
def test_element_stores_in_a_loop_update_the_cotangent_in_place(function, args, in_place):
    wrt = tuple(range(len(args)))
    source = chainrule.grad(function, wrt=wrt).source_for(*args)
    if in_place:
        assert "own_cotangent" in source and "added_at(" in source, source
        loop = source[source.index("own_cotangent"):]
        assert "without_item" not in loop.split("\n    # line")[0], source
    chainrule.check_grad(function, *args, wrt=wrt)


def test_running_sum_gradient_matches_hand_written_backprop():
    x = XS[:, 0]
    c = np.cumsum(x)
    expected = np.cumsum((2.0 * c)[::-1])[::-1]
    np.testing.assert_allclose(chainrule.grad(running_sum)(x), expected, rtol=1e-13)
