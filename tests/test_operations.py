"""Every operation the core supports, differentiated end to end through ``grad`` and checked
against central finite differences.

Each operation is a small, real ``def`` (chainrule needs source code) that applies the
operation to its array operands and reduces with ``np.sum(result * w)``: the weights ``w`` (not
differentiated) give the operation a non-trivial incoming cotangent. Each is run over Python
scalars, NumPy scalars, vectors, matrices and broadcasting pairs where that is meaningful.
"""

import math
import operator

import numpy as np
import pytest

import chainrule
from chainrule.rules.registry import registered_rules

# ----------------------------------------------------------------------------------------------
# Operand values

PY = "py"            # a Python float
NP = "np"            # a NumPy float64 scalar


def _any(rng, shape):
    return rng.uniform(-1.5, 1.5, shape)


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def _unit(rng, shape):
    return rng.uniform(-0.9, 0.9, shape)


def _above_one(rng, shape):
    return rng.uniform(1.2, 3.0, shape)


def _above_minus_one(rng, shape):
    return rng.uniform(-0.5, 2.0, shape)


def _dividend(rng, shape):          # |a / b| stays in (0.13, 0.85) for b from _divisor
    return rng.uniform(0.3, 1.7, shape) * rng.choice([-1.0, 1.0], shape)


def _divisor(rng, shape):
    return rng.uniform(2.0, 2.2, shape)


def _exponent(rng, shape):
    return rng.uniform(-1.0, 2.5, shape)


def _value(spec, domain, rng):
    if spec == PY:
        return float(domain(rng, ()))
    if spec == NP:
        return np.float64(domain(rng, ()))
    return domain(rng, spec)


def _weights(shape, rng):
    return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape) if shape else 1.3


def _check(function, operands, reference, rng, wrt=None):
    """check_grad of ``function(*operands, w)`` with weights shaped like ``reference(*operands)``."""
    w = _weights(np.shape(reference(*operands)), rng)
    wrt = tuple(range(len(operands))) if wrt is None else wrt
    assert chainrule.check_grad(function, *operands, w, wrt=wrt) <= 1.0


UNARY_SHAPES = [PY, NP, (4,), (2, 3)]
BINARY_SHAPES = [
    (PY, PY), (NP, NP), ((4,), (4,)), ((2, 3), (2, 3)),
    ((3,), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), (PY, (2, 3)), ((2, 3), PY),
]


def _label(spec):
    if isinstance(spec, str):
        return spec
    return "x".join(map(str, spec)) or "0d"


def _ids(specs):
    """Readable test ids: "py", "2x3", or "3-2x3" for a pair of operands."""
    return [_label(spec) if isinstance(spec, str) or all(isinstance(n, int) for n in spec)
            else "-".join(map(_label, spec)) for spec in specs]


# ----------------------------------------------------------------------------------------------
# Operators

def op_add(a, b, w):
    return np.sum((a + b) * w)


def op_sub(a, b, w):
    return np.sum((a - b) * w)


def op_mul(a, b, w):
    return np.sum((a * b) * w)


def op_truediv(a, b, w):
    return np.sum((a / b) * w)


def op_pow(a, b, w):
    return np.sum((a ** b) * w)


def op_mod(a, b, w):
    return np.sum((a % b) * w)


def op_neg(a, w):
    return np.sum(-a * w)


def op_pos(a, w):
    return np.sum(+a * w)


def op_matmul(a, b, w):
    return np.sum((a @ b) * w)


BINARY_OPERATORS = [
    (op_add, operator.add, _any, _any),
    (op_sub, operator.sub, _any, _any),
    (op_mul, operator.mul, _any, _any),
    (op_truediv, operator.truediv, _any, _positive),
    (op_pow, operator.pow, _positive, _exponent),
    (op_mod, operator.mod, _dividend, _divisor),
]


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=_ids(BINARY_SHAPES))
@pytest.mark.parametrize("function, reference, domain_a, domain_b", BINARY_OPERATORS,
                         ids=[entry[0].__name__ for entry in BINARY_OPERATORS])
def test_binary_operator(function, reference, domain_a, domain_b, shapes, rng):
    operands = (_value(shapes[0], domain_a, rng), _value(shapes[1], domain_b, rng))
    _check(function, operands, reference, rng)


def test_power_with_constant_integer_exponent(rng):
    def cube(x, w):
        return np.sum((x ** 3 - 2 * x ** 2) * w)

    for x in (0.7, -1.3, _any(rng, (4,)), _any(rng, (2, 3))):
        _check(cube, (x,), lambda x: x ** 3, rng)


@pytest.mark.parametrize("function, reference", [(op_neg, operator.neg), (op_pos, operator.pos)],
                         ids=["neg", "pos"])
@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=_ids(UNARY_SHAPES))
def test_unary_operator(function, reference, shape, rng):
    _check(function, (_value(shape, _any, rng),), reference, rng)


def np_dot(a, b, w):
    return np.sum(np.dot(a, b) * w)


def np_matmul(a, b, w):
    return np.sum(np.matmul(a, b) * w)


def method_dot(a, b, w):
    return np.sum(a.dot(b) * w)


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4))]
BATCHED_SHAPES = [((2, 2, 3), (2, 3, 4)), ((2, 2, 3), (3, 4)), ((2, 2, 3), (3,))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES + BATCHED_SHAPES,
                         ids=_ids(MATMUL_SHAPES + BATCHED_SHAPES))
@pytest.mark.parametrize("function, reference", [(op_matmul, np.matmul), (np_matmul, np.matmul)],
                         ids=["@", "np.matmul"])
def test_matmul(function, reference, shapes, rng):
    _check(function, (_any(rng, shapes[0]), _any(rng, shapes[1])), reference, rng)


DOT_SHAPES = MATMUL_SHAPES + [((), (2, 3)), ((3,), ())]
def _dot_param(function, shapes):
    return pytest.param(function, shapes,
                        id=f"{'np.dot' if function is np_dot else 'ndarray.dot'}-"
                           f"{_ids([shapes])[0]}")


@pytest.mark.parametrize("function, shapes", [_dot_param(function, shapes)
                                              for function in (np_dot, method_dot)
                                              for shapes in DOT_SHAPES])
def test_dot(function, shapes, rng):
    _check(function, (_any(rng, shapes[0]), _any(rng, shapes[1])), np.dot, rng)


# ----------------------------------------------------------------------------------------------
# The math module (Python scalars in, Python scalars out)

def math_sin(x, w):
    return w * math.sin(x)


def math_cos(x, w):
    return w * math.cos(x)


def math_tan(x, w):
    return w * math.tan(x)


def math_asin(x, w):
    return w * math.asin(x)


def math_acos(x, w):
    return w * math.acos(x)


def math_atan(x, w):
    return w * math.atan(x)


def math_atan2(y, x, w):
    return w * math.atan2(y, x)


def math_sinh(x, w):
    return w * math.sinh(x)


def math_cosh(x, w):
    return w * math.cosh(x)


def math_tanh(x, w):
    return w * math.tanh(x)


def math_asinh(x, w):
    return w * math.asinh(x)


def math_acosh(x, w):
    return w * math.acosh(x)


def math_atanh(x, w):
    return w * math.atanh(x)


def math_exp(x, w):
    return w * math.exp(x)


def math_expm1(x, w):
    return w * math.expm1(x)


def math_log(x, w):
    return w * math.log(x)


def math_log_base(x, base, w):
    return w * math.log(x, base)


def math_log1p(x, w):
    return w * math.log1p(x)


def math_log2(x, w):
    return w * math.log2(x)


def math_log10(x, w):
    return w * math.log10(x)


def math_sqrt(x, w):
    return w * math.sqrt(x)


def math_pow(x, y, w):
    return w * math.pow(x, y)


def math_hypot(x, y, w):
    return w * math.hypot(x, y)


def math_fabs(x, w):
    return w * math.fabs(x)


def math_erf(x, w):
    return w * math.erf(x)


def math_erfc(x, w):
    return w * math.erfc(x)


def math_degrees(x, w):
    return w * math.degrees(x)


def math_radians(x, w):
    return w * math.radians(x)


def _negative_or_positive(rng, shape):
    return rng.uniform(0.3, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


MATH_FUNCTIONS = [
    (math_sin, math.sin, (_any,)),
    (math_cos, math.cos, (_any,)),
    (math_tan, math.tan, (_any,)),
    (math_asin, math.asin, (_unit,)),
    (math_acos, math.acos, (_unit,)),
    (math_atan, math.atan, (_any,)),
    (math_atan2, math.atan2, (_negative_or_positive, _negative_or_positive)),
    (math_sinh, math.sinh, (_any,)),
    (math_cosh, math.cosh, (_any,)),
    (math_tanh, math.tanh, (_any,)),
    (math_asinh, math.asinh, (_any,)),
    (math_acosh, math.acosh, (_above_one,)),
    (math_atanh, math.atanh, (_unit,)),
    (math_exp, math.exp, (_any,)),
    (math_expm1, math.expm1, (_any,)),
    (math_log, math.log, (_positive,)),
    (math_log_base, math.log, (_positive, _above_one)),
    (math_log1p, math.log1p, (_above_minus_one,)),
    (math_log2, math.log2, (_positive,)),
    (math_log10, math.log10, (_positive,)),
    (math_sqrt, math.sqrt, (_positive,)),
    (math_pow, math.pow, (_positive, _exponent)),
    (math_hypot, math.hypot, (_negative_or_positive, _negative_or_positive)),
    (math_fabs, math.fabs, (_negative_or_positive,)),
    (math_erf, math.erf, (_any,)),
    (math_erfc, math.erfc, (_any,)),
    (math_degrees, math.degrees, (_any,)),
    (math_radians, math.radians, (_any,)),
]


def _math_param(function, primal, domains):
    return pytest.param(function, primal, domains, id=function.__name__)


@pytest.mark.parametrize("kind", [PY, NP])
@pytest.mark.parametrize("function, primal, domains",
                         [_math_param(*entry) for entry in MATH_FUNCTIONS])
def test_math_function(function, primal, domains, kind, rng):
    for _ in range(3):
        operands = tuple(_value(kind, domain, rng) for domain in domains)
        _check(function, operands, primal, rng)


def test_every_math_rule_is_tested():
    covered = {primal for _, primal, _ in MATH_FUNCTIONS}
    math_rules = {rule.primal for rule in registered_rules()
                  if getattr(rule.primal, "__module__", None) == "math"}
    assert math_rules - covered == set()


# ----------------------------------------------------------------------------------------------
# Builtins: abs min max sum pow float

def builtin_abs(x, w):
    return np.sum(abs(x) * w)


def builtin_pow(a, b, w):
    return np.sum(pow(a, b) * w)


def builtin_max2(a, b, w):
    return w * max(a, b)


def builtin_min2(a, b, w):
    return w * min(a, b)


def builtin_max3(a, b, c, w):
    return w * max(a, b, c)


def builtin_min3(a, b, c, w):
    return w * min(a, b, c)


def builtin_sum(a, b, c, w):
    return np.sum(sum([a, b * c, c]) * w)


def builtin_sum_start(a, b, w):
    return np.sum(sum([a, b], b) * w)


def builtin_float(x, w):
    return w * float(x)


def builtin_float_of_sum(x, w):
    return w * float(np.sum(x * x))


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=_ids(UNARY_SHAPES))
def test_builtin_abs(shape, rng):
    _check(builtin_abs, (_value(shape, _negative_or_positive, rng),), abs, rng)


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=_ids(BINARY_SHAPES))
def test_builtin_pow(shapes, rng):
    operands = (_value(shapes[0], _positive, rng), _value(shapes[1], _exponent, rng))
    _check(builtin_pow, operands, pow, rng)


@pytest.mark.parametrize("kind", [PY, NP])
@pytest.mark.parametrize("function, reference, arity",
                         [(builtin_max2, max, 2), (builtin_min2, min, 2),
                          (builtin_max3, max, 3), (builtin_min3, min, 3)],
                         ids=["max2", "min2", "max3", "min3"])
def test_builtin_min_max(function, reference, arity, kind, rng):
    for _ in range(4):
        values = rng.permutation([-1.1, 0.4, 1.7][:arity]) + rng.uniform(-0.1, 0.1, arity)
        operands = tuple(float(v) if kind == PY else np.float64(v) for v in values)
        _check(function, operands, reference, rng)


@pytest.mark.parametrize("shape", [PY, NP, (4,), (2, 3)], ids=_ids([PY, NP, (4,), (2, 3)]))
def test_builtin_sum(shape, rng):
    operands = tuple(_value(shape, _any, rng) for _ in range(3))
    _check(builtin_sum, operands, lambda a, b, c: a + b * c + c, rng)
    _check(builtin_sum_start, operands[:2], lambda a, b: a + b + b, rng)


@pytest.mark.parametrize("kind", [PY, NP])
def test_builtin_float(kind, rng):
    _check(builtin_float, (_value(kind, _any, rng),), float, rng)


def test_builtin_float_of_array_reduction(rng):
    _check(builtin_float_of_sum, (_any(rng, (2, 3)),), lambda x: 0.0, rng)


# ----------------------------------------------------------------------------------------------
# NumPy elementwise

def np_sin(x, w):
    return np.sum(np.sin(x) * w)


def np_cos(x, w):
    return np.sum(np.cos(x) * w)


def np_tan(x, w):
    return np.sum(np.tan(x) * w)


def np_arcsin(x, w):
    return np.sum(np.arcsin(x) * w)


def np_arccos(x, w):
    return np.sum(np.arccos(x) * w)


def np_arctan(x, w):
    return np.sum(np.arctan(x) * w)


def np_sinh(x, w):
    return np.sum(np.sinh(x) * w)


def np_cosh(x, w):
    return np.sum(np.cosh(x) * w)


def np_tanh(x, w):
    return np.sum(np.tanh(x) * w)


def np_exp(x, w):
    return np.sum(np.exp(x) * w)


def np_log(x, w):
    return np.sum(np.log(x) * w)


def np_log1p(x, w):
    return np.sum(np.log1p(x) * w)


def np_expm1(x, w):
    return np.sum(np.expm1(x) * w)


def np_sqrt(x, w):
    return np.sum(np.sqrt(x) * w)


def np_square(x, w):
    return np.sum(np.square(x) * w)


def np_abs(x, w):
    return np.sum(np.abs(x) * w)


def np_power(a, b, w):
    return np.sum(np.power(a, b) * w)


def np_maximum(a, b, w):
    return np.sum(np.maximum(a, b) * w)


def np_minimum(a, b, w):
    return np.sum(np.minimum(a, b) * w)


NUMPY_UNARY = [
    (np_sin, np.sin, _any), (np_cos, np.cos, _any), (np_tan, np.tan, _any),
    (np_arcsin, np.arcsin, _unit), (np_arccos, np.arccos, _unit), (np_arctan, np.arctan, _any),
    (np_sinh, np.sinh, _any), (np_cosh, np.cosh, _any), (np_tanh, np.tanh, _any),
    (np_exp, np.exp, _any), (np_log, np.log, _positive), (np_log1p, np.log1p, _above_minus_one),
    (np_expm1, np.expm1, _any), (np_sqrt, np.sqrt, _positive), (np_square, np.square, _any),
    (np_abs, np.abs, _negative_or_positive),
]


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=_ids(UNARY_SHAPES))
@pytest.mark.parametrize("function, reference, domain", NUMPY_UNARY,
                         ids=[entry[0].__name__ for entry in NUMPY_UNARY])
def test_numpy_elementwise_unary(function, reference, domain, shape, rng):
    _check(function, (_value(shape, domain, rng),), reference, rng)


def _separated(rng, shape):
    """Values on a grid of step 0.5 plus a small jitter: two draws never come close to a tie."""
    return rng.integers(-3, 4, shape) * 0.5 + rng.uniform(0.0, 0.2, shape)


def _separated_other(rng, shape):
    return rng.integers(-3, 4, shape) * 0.5 + rng.uniform(0.25, 0.45, shape)


NUMPY_BINARY = [
    (np_power, np.power, _positive, _exponent),
    (np_maximum, np.maximum, _separated, _separated_other),
    (np_minimum, np.minimum, _separated, _separated_other),
]


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=_ids(BINARY_SHAPES))
@pytest.mark.parametrize("function, reference, domain_a, domain_b", NUMPY_BINARY,
                         ids=[entry[0].__name__ for entry in NUMPY_BINARY])
def test_numpy_elementwise_binary(function, reference, domain_a, domain_b, shapes, rng):
    operands = (_value(shapes[0], domain_a, rng), _value(shapes[1], domain_b, rng))
    _check(function, operands, reference, rng)


# ----------------------------------------------------------------------------------------------
# Reductions: np.sum / np.mean (and the methods) with axis and keepdims

def np_sum_all(x, w):
    return np.sum(np.sum(x) * w)


def np_sum_axis0(x, w):
    return np.sum(np.sum(x, axis=0) * w)


def np_sum_axis1(x, w):
    return np.sum(np.sum(x, axis=1) * w)


def np_sum_last(x, w):
    return np.sum(np.sum(x, axis=-1) * w)


def np_sum_tuple(x, w):
    return np.sum(np.sum(x, axis=(0, -1)) * w)


def np_sum_keepdims(x, w):
    return np.sum(np.sum(x, axis=1, keepdims=True) * w)


def np_sum_tuple_keepdims(x, w):
    return np.sum(np.sum(x, axis=(0, 1), keepdims=True) * w)


def np_sum_all_keepdims(x, w):
    return np.sum(np.sum(x, axis=None, keepdims=True) * w)


def np_mean_all(x, w):
    return np.sum(np.mean(x) * w)


def np_mean_axis0(x, w):
    return np.sum(np.mean(x, axis=0) * w)


def np_mean_axis1(x, w):
    return np.sum(np.mean(x, axis=1) * w)


def np_mean_last(x, w):
    return np.sum(np.mean(x, axis=-1) * w)


def np_mean_tuple(x, w):
    return np.sum(np.mean(x, axis=(0, -1)) * w)


def np_mean_keepdims(x, w):
    return np.sum(np.mean(x, axis=-1, keepdims=True) * w)


def np_mean_tuple_keepdims(x, w):
    return np.sum(np.mean(x, axis=(0, 1), keepdims=True) * w)


def method_sum_axis0(x, w):
    return np.sum(x.sum(axis=0) * w)


def method_mean_keepdims(x, w):
    return np.sum(x.mean(axis=-1, keepdims=True) * w)


REDUCTIONS = [
    # function, numpy equivalent, shapes it is checked on
    (np_sum_all, np.sum, [PY, NP, (4,), (2, 3), (2, 3, 4)]),
    (np_sum_axis0, lambda x: np.sum(x, axis=0), [(4,), (2, 3), (2, 3, 4)]),
    (np_sum_axis1, lambda x: np.sum(x, axis=1), [(2, 3), (2, 3, 4)]),
    (np_sum_last, lambda x: np.sum(x, axis=-1), [(4,), (2, 3), (2, 3, 4)]),
    (np_sum_tuple, lambda x: np.sum(x, axis=(0, -1)), [(2, 3), (2, 3, 4)]),
    (np_sum_keepdims, lambda x: np.sum(x, axis=1, keepdims=True), [(2, 3), (2, 3, 4)]),
    (np_sum_tuple_keepdims, lambda x: np.sum(x, axis=(0, 1), keepdims=True), [(2, 3), (2, 3, 4)]),
    (np_sum_all_keepdims, lambda x: np.sum(x, keepdims=True), [(4,), (2, 3)]),
    (np_mean_all, np.mean, [PY, NP, (4,), (2, 3), (2, 3, 4)]),
    (np_mean_axis0, lambda x: np.mean(x, axis=0), [(4,), (2, 3), (2, 3, 4)]),
    (np_mean_axis1, lambda x: np.mean(x, axis=1), [(2, 3), (2, 3, 4)]),
    (np_mean_last, lambda x: np.mean(x, axis=-1), [(4,), (2, 3), (2, 3, 4)]),
    (np_mean_tuple, lambda x: np.mean(x, axis=(0, -1)), [(2, 3), (2, 3, 4)]),
    (np_mean_keepdims, lambda x: np.mean(x, axis=-1, keepdims=True), [(4,), (2, 3), (2, 3, 4)]),
    (np_mean_tuple_keepdims, lambda x: np.mean(x, axis=(0, 1), keepdims=True),
     [(2, 3), (2, 3, 4)]),
    (method_sum_axis0, lambda x: x.sum(axis=0), [(4,), (2, 3), (2, 3, 4)]),
    (method_mean_keepdims, lambda x: x.mean(axis=-1, keepdims=True), [(4,), (2, 3), (2, 3, 4)]),
]
REDUCTION_CASES = [pytest.param(function, reference, shape,
                                id=f"{function.__name__}-{_ids([shape])[0]}")
                   for function, reference, shapes in REDUCTIONS for shape in shapes]


@pytest.mark.parametrize("function, reference, shape", REDUCTION_CASES)
def test_reduction(function, reference, shape, rng):
    _check(function, (_value(shape, _any, rng),), reference, rng)


# ----------------------------------------------------------------------------------------------
# Shape: transpose, .T, reshape

def np_transpose(x, w):
    return np.sum(np.transpose(x) * w)


def np_transpose_axes(x, w):
    return np.sum(np.transpose(x, (1, 2, 0)) * w)


def attribute_T(x, w):
    return np.sum(x.T * w)


def np_reshape(x, w):
    return np.sum(np.reshape(x, (3, 2)) * w)


def np_reshape_flat(x, w):
    return np.sum(np.reshape(x, -1) * w)


def np_reshape_infer(x, w):
    return np.sum(np.reshape(x, (2, -1, 1)) * w)


SHAPE_OPERATIONS = [
    (np_transpose, np.transpose, [(4,), (2, 3), (2, 3, 4)]),
    (np_transpose_axes, lambda x: np.transpose(x, (1, 2, 0)), [(2, 3, 4)]),
    (attribute_T, lambda x: x.T, [(4,), (2, 3), (2, 3, 4)]),
    (np_reshape, lambda x: np.reshape(x, (3, 2)), [(6,), (2, 3), (1, 6)]),
    (np_reshape_flat, lambda x: np.reshape(x, -1), [(2, 3), (2, 3, 4)]),
    (np_reshape_infer, lambda x: np.reshape(x, (2, -1, 1)), [(6,), (2, 3), (3, 2, 2)]),
]
SHAPE_CASES = [pytest.param(function, reference, shape,
                            id=f"{function.__name__}-{_ids([shape])[0]}")
               for function, reference, shapes in SHAPE_OPERATIONS for shape in shapes]


@pytest.mark.parametrize("function, reference, shape", SHAPE_CASES)
def test_shape_operation(function, reference, shape, rng):
    _check(function, (_any(rng, shape),), reference, rng)


# ----------------------------------------------------------------------------------------------
# Kink conventions: abs has derivative 0 at 0, ties split the cotangent evenly

def abs_of(x):
    return abs(x)


def abs_sum(x):
    return np.sum(abs(x))


def np_abs_sum(x):
    return np.sum(np.abs(x))


def fabs_of(x):
    return math.fabs(x)


def max_of_same(a):
    return max(a, a)


def max_of(a, b):
    return max(a, b)


def min_of(a, b):
    return min(a, b)


def maximum_sum(a, b):
    return np.sum(np.maximum(a, b))


def minimum_sum(a, b):
    return np.sum(np.minimum(a, b))


def test_abs_at_zero_has_zero_derivative():
    assert chainrule.grad(abs_of)(0.0) == 0.0
    assert chainrule.grad(fabs_of)(0.0) == 0.0
    np.testing.assert_array_equal(chainrule.grad(abs_sum)(np.array([-2.0, 0.0, 3.0])),
                                  [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(chainrule.grad(np_abs_sum)(np.array([-2.0, 0.0, 3.0])),
                                  [-1.0, 0.0, 1.0])


def test_max_and_min_ties_split_evenly():
    assert chainrule.grad(max_of_same)(1.5) == 1.0          # 0.5 + 0.5
    assert chainrule.grad(max_of, wrt=(0, 1))(1.5, 1.5) == (0.5, 0.5)
    assert chainrule.grad(min_of, wrt=(0, 1))(-0.5, -0.5) == (0.5, 0.5)
    assert chainrule.grad(max_of, wrt=(0, 1))(2.0, 1.5) == (1.0, 0.0)
    assert chainrule.grad(min_of, wrt=(0, 1))(2.0, 1.5) == (0.0, 1.0)


def test_numpy_maximum_and_minimum_ties_split_evenly():
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 0.0, 3.0])
    da, db = chainrule.grad(maximum_sum, wrt=(0, 1))(a, b)
    np.testing.assert_array_equal(da, [0.5, 1.0, 0.5])
    np.testing.assert_array_equal(db, [0.5, 0.0, 0.5])
    da, db = chainrule.grad(minimum_sum, wrt=(0, 1))(a, b)
    np.testing.assert_array_equal(da, [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(db, [0.5, 1.0, 0.5])
    # a scalar tied with every element of a matrix collects half of each element's cotangent
    da, db = chainrule.grad(maximum_sum, wrt=(0, 1))(1.0, np.ones((2, 3)))
    assert da == 3.0
    np.testing.assert_array_equal(db, np.full((2, 3), 0.5))
