"""Every built-in gradient rule against central finite differences of its primal.

Rules are runnable functions: each is called directly as ``rule(out_bar, out, *args,
**kwargs)`` and its cotangents are compared, as a vector-Jacobian product, with
``<out_bar, (f(x + eps v) - f(x - eps v)) / (2 eps)>`` for a random direction ``v`` of each
floating-point argument. Samples live in ``rule_samples.py``.
"""

import ast
import copy
import inspect
import textwrap
import warnings

import numpy as np
import pytest

import chainrule.rules  # noqa: F401  (registers the rules)
import chainrule.rules.numpy as numpy_rules
from chainrule import runtime
from chainrule.rules.registry import (describe_callable, is_nondifferentiable,
                                      registered_attributes, registered_methods,
                                      registered_nondifferentiable, registered_rules, rule_for)
from tests.rule_samples import LARGE, SAMPLES

RTOL = 1e-6
ATOL = 1e-10
EPS = 1e-6


def builtin_rules():
    """The rules chainrule itself registers (tests elsewhere may register their own)."""
    return [rule for rule in registered_rules()
            if rule.function.__module__.startswith("chainrule.rules.")]


# -- trees of numbers (an argument may be a list of arrays) --------------------------------------

def is_container(value):
    return isinstance(value, (list, tuple))


def is_float_leaf(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return True
    if isinstance(value, (np.ndarray, np.generic)):
        return np.issubdtype(value.dtype, np.floating)
    return False


def is_float_tree(value):
    if isinstance(value, dict):
        return is_float_tree(list(value.values()))
    if is_container(value):
        return len(value) > 0 and any(is_float_tree(v) for v in value) and all(
            is_float_tree(v) or isinstance(v, (int, float)) for v in value)
    return is_float_leaf(value)


def rebuild(like, items):
    """A container of ``like``'s kind (a plain tuple for named tuples such as SlogdetResult)."""
    return list(items) if isinstance(like, list) else tuple(items)


def random_like(value, rng):
    """A random tree with the structure of ``value`` (float leaves for every numeric leaf)."""
    if isinstance(value, dict):
        return {key: random_like(item, rng) for key, item in value.items()}
    if isinstance(value, str):
        return None
    if is_container(value):
        return rebuild(value, (random_like(v, rng) for v in value))
    if isinstance(value, np.ndarray):
        return rng.standard_normal(value.shape)
    return float(rng.standard_normal())


def perturbed(value, direction, step):
    if isinstance(value, dict):
        return {key: perturbed(item, direction[key], step) for key, item in value.items()}
    if is_container(value):
        return rebuild(value, (perturbed(v, d, step) for v, d in zip(value, direction)))
    if not is_float_leaf(value):
        return value
    if isinstance(value, float):
        return value + step * direction
    return value + step * direction


def dot(cotangent, direction):
    """<cotangent, direction>, None meaning zero; an array cotangent of a list argument is
    compared with the list as an array."""
    if cotangent is None or direction is None:
        return 0.0
    if isinstance(cotangent, dict):
        assert isinstance(direction, dict) and cotangent.keys() == direction.keys()
        return sum(dot(cotangent[key], direction[key]) for key in cotangent)
    if is_container(cotangent):
        assert is_container(direction) and len(cotangent) == len(direction), (
            f"cotangent has {len(cotangent)} entries, argument {len(direction)}")
        return sum(dot(c, d) for c, d in zip(cotangent, direction))
    return float(np.sum(np.asarray(cotangent, dtype=float) * np.asarray(direction, dtype=float)))


def abs_dot(a, b):
    if a is None or b is None:
        return 0.0
    if isinstance(a, dict):
        return sum(abs_dot(a[key], b[key]) for key in a)
    if is_container(a):
        return sum(abs_dot(x, y) for x, y in zip(a, b))
    return float(np.sum(np.abs(np.asarray(a, dtype=float)) * np.abs(np.asarray(b, dtype=float))))


def difference(a, b, scale):
    if isinstance(a, dict):
        return {key: difference(a[key], b[key], scale) for key in a}
    if is_container(a):
        return rebuild(a, (difference(x, y, scale) for x, y in zip(a, b)))
    return (np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) * scale


def magnitude(value):
    if isinstance(value, dict):
        return magnitude(list(value.values()))
    if is_container(value):
        return max([magnitude(v) for v in value] + [0.0])
    if not is_float_leaf(value):
        return 0.0
    finite = np.asarray(value, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(np.max(np.abs(finite))) if finite.size else 0.0


def check_shapes(cotangent, value, where):
    if cotangent is None:
        return
    if isinstance(cotangent, dict):
        assert isinstance(value, dict) and cotangent.keys() == value.keys(), where
        for key in value:
            check_shapes(cotangent[key], value[key], f"{where}[{key!r}]")
        return
    if is_container(cotangent):
        assert is_container(value) and len(cotangent) == len(value), (
            f"{where}: cotangent {type(cotangent).__name__} of length {len(cotangent)} for an "
            f"argument of structure {type(value).__name__}")
        for i, (c, v) in enumerate(zip(cotangent, value)):
            check_shapes(c, v, f"{where}[{i}]")
        return
    assert np.shape(cotangent) == np.shape(value), (
        f"{where}: cotangent shape {np.shape(cotangent)} != argument shape {np.shape(value)}")
    assert np.issubdtype(np.asarray(cotangent).dtype, np.inexact), (
        f"{where}: cotangent dtype {np.asarray(cotangent).dtype} is not floating")


def same_tree(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(
            same_tree(a[k], b[k]) for k in a)
    if is_container(a):
        return is_container(b) and len(a) == len(b) and all(same_tree(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=np.asarray(a).dtype.kind
                              in "fc")
    return a == b or (a != a and b != b)


# -- calling rules -------------------------------------------------------------------------------

def returns_tuple(rule):
    """Whether the rule's final ``return`` lists one cotangent per leading parameter."""
    source = textwrap.dedent(inspect.getsource(rule.function))
    last = ast.parse(source).body[0].body[-1]
    return isinstance(last, ast.Return) and isinstance(last.value, ast.Tuple)


def cotangents(rule, out_bar, out, args, kwargs):
    result = rule.function(out_bar, out, *args, **kwargs)
    if returns_tuple(rule) and isinstance(result, tuple):
        values = list(result)
    else:
        values = [result]
    assert len(values) <= len(rule.params), f"{len(values)} cotangents for {rule.params}"
    return dict(zip(rule.params, values))


def call(primal, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return primal(*args, **kwargs)


def locations(rule, sample):
    """Parameter name -> ("arg", index) or ("kw", name)."""
    where = {name: ("arg", i) for i, name in enumerate(rule.params[:len(sample.args)])}
    for name in sample.kwargs:
        assert name in rule.params, f"sample keyword {name!r} is not a parameter of the rule"
        where[name] = ("kw", name)
    return where


def replaced(sample, location, value):
    args, kwargs = list(sample.args), dict(sample.kwargs)
    if location[0] == "arg":
        args[location[1]] = value
    else:
        kwargs[location[1]] = value
    return args, kwargs


def symmetric_like(direction):
    return 0.5 * (direction + np.swapaxes(direction, -1, -2))


def out_bar_variants(out, rng):
    """A random seed shaped like ``out``; for tuple/list results also each entry None."""
    seed = random_like(out, rng)
    variants = [seed]
    if is_container(out) and len(out) > 1:
        for i in range(len(out)):
            partial = list(seed)
            partial[i] = None
            variants.append(rebuild(seed, partial))
    return variants


def check_rule(primal, sample, seed=0):
    rule = rule_for(primal)
    assert rule is not None, f"no rule for {describe_callable(primal)}"
    rng = np.random.default_rng(seed)
    out = call(primal, sample.args, sample.kwargs)
    where = locations(rule, sample)
    values = {name: (sample.args[loc[1]] if loc[0] == "arg" else sample.kwargs[loc[1]])
              for name, loc in where.items()}
    for out_bar in out_bar_variants(out, rng):
        args_before = copy.deepcopy((sample.args, sample.kwargs))
        out_bar_before = copy.deepcopy(out_bar)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            grads = cotangents(rule, out_bar, out, sample.args, sample.kwargs)
        assert same_tree(args_before, (sample.args, sample.kwargs)), "the rule mutated its inputs"
        assert same_tree(out_bar_before, out_bar), "the rule mutated out_bar"
        for name, value in values.items():
            if not is_float_tree(value):
                continue
            cotangent = grads.get(name)
            check_shapes(cotangent, value, f"cotangent of {name}")
            direction = random_like(value, rng)
            if name in sample.symmetric:
                direction = symmetric_like(direction)
            step = EPS * max(1.0, magnitude(value))
            plus = call(primal, *replaced(sample, where[name], perturbed(value, direction, step)))
            minus = call(primal, *replaced(sample, where[name],
                                           perturbed(value, direction, -step)))
            derivative = difference(plus, minus, 0.5 / step)
            numeric = dot(out_bar, derivative)
            analytic = dot(cotangent, direction)
            scale = abs_dot(out_bar, derivative) + abs(analytic)
            assert abs(numeric - analytic) <= RTOL * scale + ATOL, (
                f"{describe_callable(primal)}{sample!r}: d/d{name} analytic {analytic!r} vs "
                f"numeric {numeric!r} (out_bar {_describe(out_bar)})")


def _describe(value):
    if is_container(value):
        return "[" + ", ".join(_describe(v) for v in value) + "]"
    return "None" if value is None else f"shape {np.shape(value)}"


# -- the sample table ----------------------------------------------------------------------------

CASES = [pytest.param(primal, sample, id=f"{describe_callable(primal)}-{i}")
         for primal, samples in SAMPLES.items() for i, sample in enumerate(samples)]


@pytest.mark.parametrize("primal, sample", CASES)
def test_rule_matches_finite_differences(primal, sample):
    check_rule(primal, sample)


LARGE_CASES = [pytest.param(primal, sample, id=f"{describe_callable(primal)}-large-{i}")
               for primal, samples in LARGE.items() for i, sample in enumerate(samples)]


@pytest.mark.parametrize("primal, sample", LARGE_CASES)
def test_rule_on_large_arrays(primal, sample):
    check_rule(primal, sample, seed=1)


def test_every_rule_has_a_sample():
    missing = sorted(rule.name for rule in builtin_rules() if rule.primal not in SAMPLES)
    assert not missing, f"rules without a sample in tests/rule_samples.py: {', '.join(missing)}"


def test_every_sample_has_a_rule():
    stray = [describe_callable(p) for p in SAMPLES if rule_for(p) is None]
    assert not stray, f"samples for callables without a rule: {stray}"


# -- kink conventions ----------------------------------------------------------------------------

def test_maximum_and_minimum_split_ties_evenly():
    x1, x2 = np.array([1.0, 2.0, 0.5]), np.array([1.0, 3.0, 0.0])
    g = np.ones(3)
    for fn, expected in ((np.maximum, ([0.5, 0.0, 1.0], [0.5, 1.0, 0.0])),
                         (np.minimum, ([0.5, 1.0, 0.0], [0.5, 0.0, 1.0])),
                         (np.fmax, ([0.5, 0.0, 1.0], [0.5, 1.0, 0.0])),
                         (np.fmin, ([0.5, 1.0, 0.0], [0.5, 0.0, 1.0]))):
        a_bar, b_bar = rule_for(fn).function(g, fn(x1, x2), x1, x2)
        np.testing.assert_array_equal(a_bar, expected[0])
        np.testing.assert_array_equal(b_bar, expected[1])


@pytest.mark.parametrize("fn", [np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin])
def test_reductions_split_ties_evenly(fn):
    a = np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0]]) * (1 if fn in (np.max, np.amax,
                                                                    np.nanmax) else -1)
    rule = rule_for(fn).function
    np.testing.assert_allclose(rule(1.0, fn(a), a), [[0.5, 0, 0.5], [0, 0, 0]])
    np.testing.assert_allclose(rule(np.ones(2), fn(a, axis=1), a, axis=1),
                               [[0.5, 0, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_abs_sign_and_copysign_have_zero_derivative_at_zero():
    x = np.array([-1.0, 0.0, 2.0])
    for fn in (np.abs, np.fabs):
        np.testing.assert_array_equal(rule_for(fn).function(np.ones(3), fn(x), x), [-1, 0, 1])
    np.testing.assert_array_equal(
        rule_for(np.copysign).function(np.ones(3), np.copysign(x, -1.0), x, -1.0), [1, 0, -1])
    assert is_nondifferentiable(np.sign)


def test_abs_of_booleans_counts_them_as_0_and_1():
    x = np.array([True, False, True])
    for fn in (np.abs, np.fabs, abs):
        np.testing.assert_array_equal(rule_for(fn).function(np.full(3, 2.0), fn(x), x),
                                      [2.0, 0.0, 2.0])


def test_sums_and_means_in_an_integer_dtype_have_no_gradient():
    # Piecewise constant; the rules ignored dtype (found by a helper's attack).
    a = np.array([1.3, 2.6, 0.7])
    for fn in (np.sum, np.mean):
        grad = rule_for(fn).function(1.0, fn(a, dtype=int), a, dtype=int)
        np.testing.assert_array_equal(grad, np.zeros(3))
        np.testing.assert_array_equal(rule_for(fn).function(1.0, fn(a), a), np.full(3, (
            1.0 if fn is np.sum else 1.0 / 3)))


def test_sum_over_axis_0_of_a_0d_array():
    # NumPy takes axis=0 of a 0-d array and returns it unchanged.
    for fn in (np.sum, np.nansum):
        a = np.array(2.5)
        grad = rule_for(fn).function(np.array(3.0), fn(a, axis=0), a, axis=0)
        assert np.shape(grad) == () and grad == 3.0


def test_clip_boundary_splits_between_value_and_bound():
    rule = rule_for(np.clip).function
    a = np.array([0.0, 0.5, 1.0, 2.0, -1.0])
    a_bar, low_bar, high_bar = rule(np.ones(5), np.clip(a, 0.0, 1.0), a, 0.0, 1.0)
    np.testing.assert_array_equal(a_bar, [0.5, 1.0, 0.5, 0.0, 0.0])
    assert low_bar == 1.5 and high_bar == 1.5


def test_norm_at_zero_has_zero_gradient():
    rule = rule_for(np.linalg.norm).function
    np.testing.assert_array_equal(rule(1.0, 0.0, np.zeros(3)), np.zeros(3))


def test_prod_with_zeros_is_exact():
    a = np.array([2.0, 0.0, 3.0, 0.0])
    np.testing.assert_array_equal(rule_for(np.prod).function(1.0, 0.0, a), [0, 0, 0, 0])
    a = np.array([2.0, 0.0, 3.0])
    np.testing.assert_array_equal(rule_for(np.prod).function(1.0, 0.0, a), [0, 6, 0])


def test_take_accumulates_repeated_indices():
    a = np.arange(4.0)
    grad = rule_for(np.take).function(np.ones(4), None, a, [1, 1, 3, 1])
    np.testing.assert_array_equal(grad, [0, 3, 0, 1])


def test_split_treats_missing_cotangents_as_zero():
    x = np.arange(6.0)
    out = np.split(x, 3)
    grad = rule_for(np.split).function([None, np.ones(2), None], out, x, 3)
    np.testing.assert_array_equal(grad, [0, 0, 1, 1, 0, 0])


def test_integer_inputs_get_float_gradients():
    x = np.array([1, 2, 3])
    for fn in (np.sum, np.mean, np.max, np.prod, np.cumsum, np.sort):
        grad = rule_for(fn).function(np.ones(np.shape(fn(x))), fn(x), x)
        assert np.issubdtype(np.asarray(grad).dtype, np.floating), describe_callable(fn)


# -- the tables ----------------------------------------------------------------------------------

def test_no_callable_is_both_differentiable_and_not():
    both = [rule.name for rule in registered_rules()
            if rule.primal in registered_nondifferentiable()]
    assert not both


def test_methods_and_attributes_map_to_known_functions():
    for name, function in registered_methods().items():
        assert hasattr(np.ndarray, name), f"ndarray has no method .{name}()"
        assert rule_for(function) is not None or is_nondifferentiable(function), name
    for name, function in registered_attributes().items():
        assert hasattr(np.ndarray, name), f"ndarray has no attribute .{name}"
        assert rule_for(function) is not None, name


@pytest.mark.parametrize("name, args, kwargs", [
    ("sum", (), {"axis": 0}), ("mean", (1,), {}), ("prod", (), {}), ("max", (0,), {}),
    ("min", (), {"keepdims": True}), ("var", (), {"ddof": 1}), ("std", (1,), {}),
    ("cumsum", (1,), {}), ("cumprod", (), {}), ("reshape", ((3, 2),), {}), ("ravel", (), {}),
    ("flatten", (), {}), ("transpose", ((1, 0),), {}), ("swapaxes", (0, 1), {}),
    ("squeeze", (), {}), ("copy", (), {}), ("repeat", (2,), {"axis": 1}),
    ("take", ([0, 2],), {}), ("trace", (), {}), ("diagonal", (1,), {}), ("clip", (0.2, 0.6), {}),
    ("astype", (np.float64,), {}), ("dot", (np.ones((3, 2)),), {}),
])
def test_methods_agree_with_their_functions(name, args, kwargs):
    x = np.random.default_rng(3).random((2, 3))
    function = registered_methods()[name]
    np.testing.assert_array_equal(getattr(x, name)(*args, **kwargs),
                                  function(x, *args, **kwargs))


def test_coverage_is_broad():
    numpy_functions = [r for r in registered_rules() if r.function.__module__ ==
                       numpy_rules.__name__]
    assert len(numpy_functions) + len(registered_methods()) >= 150


# -- rules inline: the restricted body of registry.py's contract ---------------------------------

FORBIDDEN = (ast.For, ast.While, ast.FunctionDef, ast.Lambda, ast.AugAssign, ast.ListComp,
             ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Try, ast.Return, ast.Global,
             ast.Nonlocal, ast.Delete, ast.With, ast.AnnAssign, ast.Yield)


def _check_statements(statements, rule_name):
    for statement in statements:
        if isinstance(statement, ast.If):
            _check_statements(statement.body, rule_name)
            _check_statements(statement.orelse, rule_name)
            nodes = [statement.test]
        elif isinstance(statement, ast.Assign):
            assert all(isinstance(t, ast.Name) for t in statement.targets), (
                f"{rule_name}: assignment to something other than a plain name")
            nodes = [statement.value]
        else:
            raise AssertionError(f"{rule_name}: statement {type(statement).__name__} "
                                 f"cannot be inlined")
        for node in nodes:
            bad = [type(n).__name__ for n in ast.walk(node) if isinstance(n, FORBIDDEN)]
            assert not bad, f"{rule_name}: uses {bad}"


@pytest.mark.parametrize("rule", [r for r in registered_rules()
                                  if r.function.__module__ == numpy_rules.__name__],
                         ids=lambda r: r.name)
def test_numpy_rule_bodies_inline(rule):
    source = textwrap.dedent(inspect.getsource(rule.function))
    function = ast.parse(source).body[0]
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    *statements, last = body
    assert isinstance(last, ast.Return), f"{rule.name}: must end with one return"
    _check_statements(statements, rule.name)
    bad = [type(n).__name__ for n in ast.walk(last.value) if isinstance(n, FORBIDDEN)]
    assert not bad, f"{rule.name}: return uses {bad}"
    if isinstance(last.value, ast.Tuple):
        assert len(last.value.elts) <= len(rule.params)
    parameters = {"out_bar", "out", *rule.params}
    assigned = {n.id for statement in body for n in ast.walk(statement)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    allowed_globals = {"np", "math", *[n for n in dir(runtime) if not n.startswith("_")]}
    for node in (n for statement in body for n in ast.walk(statement)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            assert node.id in parameters | assigned | allowed_globals | {"None", "True",
                                                                          "False"}, (
                f"{rule.name}: reads {node.id}, which is not a parameter, local, np, math or "
                f"a chainrule.runtime helper")
            assert node.id not in assigned or node.id not in parameters
    assert not (assigned & parameters), f"{rule.name}: assigns to a parameter"
