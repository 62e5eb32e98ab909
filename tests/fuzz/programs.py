"""Random valid programs in chainrule's supported subset, as hypothesis strategies.

``programs()`` draws a :class:`Program`: the source text of a small module (``import math``,
``import numpy as np``, a few ``helper``/``rec`` functions and ``f``), the arguments to call
``f`` with, the parameters to differentiate (``wrt``) and a count of the constructs used.

What gets generated
-------------------
* Parameters: one to three Python-float (or ``np.float64``/``int``) scalars ``x0..``, up to two
  float64 arrays of shape (3,) ``a0, a1``, sometimes a (3, 3) matrix ``m0`` and an int ``n``
  in 0..3 (never differentiated; it sizes loops and recursion).  ``wrt`` is a non-empty subset
  of the float/array/matrix parameters.
* Expressions: ``+ - *``, division only by ``1.0 + e ** 2``, ``** 2``, powers with an active
  exponent of a base >= 1 (``**``, ``math.pow``, ``pow``), ``math``/NumPy ``sin cos tanh atan``,
  ``exp`` of a ``sin``/``cos``, ``sqrt``/``log`` of ``1 + e*e``, reductions ``np.sum np.mean @
  np.dot .sum()`` (also of slices ``a[1:]``, ``a[::-1]``), elements ``a[i]``, ``m[i, j]``, rows
  ``m[i]``, ``m @ a``, ``a @ m``, ``m.T @ a``, ``np.sum(m, axis=0)``, ``np.array([...])``,
  ``np.cumsum``, list items, ``sum(list)``, ``len(list)``, int arithmetic (``i // 2``,
  ``i % 2``), ``a if c else b``, calls of the generated helpers (positional, keyword, with a
  default left out), and the kinked ``abs max min np.max np.min np.maximum np.minimum np.abs
  np.where`` and ``max(list)``/``min(list)``.
* Conditions: ``<``, ``>``, ``<=``, ``>=``, chained ``c < e < e``, ``and``/``or``/``not``.
* Statements: assignment, tuple assignment and swaps (``u, w = w, u``), reassignment (also of
  parameters), ``+= -= *= /=``, ``if``/``elif``/``else``, ``for`` over ``range`` (constant or
  ``n``, ``reversed``), over arrays, matrix rows, lists, ``range(len(list))``, ``enumerate``
  and ``zip``, ``for ... else``, ``while`` loops with a counter bound (``while k < 3 and
  v < c``, ``while True`` with a counted ``break``, ``while ... else``),
  ``break``/``continue``/``return`` inside ``if`` in loops and branches, lists built with
  ``[]``/``.append`` with element stores and ``op=``, arrays built with ``np.zeros``/``.copy()``
  /arithmetic and updated with ``y[i] = ...``, ``y[i] += ...``, ``y[1:] = ...``,
  ``y[:2] = a[1:]``, ``y += ...``, and nested ``def``/``lambda`` closing over ``f``'s
  variables, called directly.
* Shapes that once crashed generated code (issue 12): plain copies of scalars ``x = y``
  (loops included: a copy stays bounded), a ``for`` loop that rebinds scalars followed by
  nested ``if`` statements that rebind them again, with ``op=`` in one branch only, a return
  in the inner branch and an ``op=`` after it all; names bound in every branch of an
  ``if``/``elif``/``else`` (a branch may return first) and read after the join; a name bound
  under a flag (``flag = c``; ``if flag: v = e``) and read after the join under the same flag.
* Helpers: up to two module-level helpers (scalar or array parameters, a default value
  sometimes; scalar, array or pair result; a later helper may call an earlier one) and a
  recursive ``rec(p, depth)`` with a depth argument.

Values stay bounded and inside every function's domain: the only divisions are by
``1.0 + e ** 2``, ``sqrt``/``log`` only see ``1 + e*e``, ``exp`` only sees a sine or cosine, and
inside loops every update of an existing variable goes through a squashing function (``tanh``,
``sin``, ``e / (1 + e**2)``), so nothing grows with the trip count.  Arrays are never aliased:
an array-valued assignment or return is always a new array (a bare name is written
``name.copy()``), and only arrays the function made itself get element stores or ``op=``.

Kinks (see ``runner.py``)
--------------------------
A branch, loop exit or ``abs``/``max``/``min`` makes the function piecewise smooth.  An input is
*skipped* (not checked) when it sits near a piece boundary, by two rules:

1. Trace rule: the program is re-run with every comparison and every kinked call recorded (an
   instrumented copy of the source); the input is skipped if that trace changes when any
   differentiated element moves by +-1e-6, +-1e-5 or +-1e-4.
2. Finite-difference rule: the input is skipped if central differences with steps 1e-4 and
   1e-6 disagree by more than ``check_grad``'s tolerance (``1e-6 + 1e-5 * |fd|``) anywhere
   (a kink the trace did not see, or too much curvature for finite differences to judge).

Argument values are ``k / 100 + 0.0031`` (never a round number), so they never tie exactly with
the programs' one-decimal constants.
"""

from __future__ import annotations

import ast
import itertools
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
from hypothesis import strategies as st

SCALAR, ARRAY, LIST, INT, MATRIX, PAIR = "scalar", "array", "list", "int", "matrix", "pair"

CONSTANTS = ("0.5", "1.5", "-0.7", "0.3", "2.0", "-1.2", "0.8")
COMPARISONS = (">", "<", ">=", "<=")

SCALAR_UNARY = (
    "math.sin({0})", "math.cos({0})", "math.tanh({0})", "({0}) ** 2", "(-{0})",
    "np.tanh({0})", "math.exp(math.sin({0}))", "math.sqrt(1.0 + ({0}) * ({0}))",
    "math.log(1.0 + ({0}) ** 2)", "math.atan({0})", "np.exp(np.cos({0}))", "np.sin({0})",
)
SCALAR_KINKS = ("abs({0})", "max({0}, {1})", "min({0}, {1})")
ARRAY_KINKS = ("np.max({0})", "np.min({0})")
REDUCTIONS = ("np.sum({0})", "np.mean({0})", "({0} @ {1})", "np.dot({0}, {1})",
              "({0}).sum()", "np.sum(({0}) * ({1}))", "np.sum(({0})[1:])",
              "(({0})[:2] @ ({1})[1:])", "({0})[::-1][0]")
POWERS = ("((1.0 + ({0}) ** 2) ** (0.5 * {1}))", "math.pow(1.0 + ({0}) ** 2, {1})",
          "pow(1.5 + math.sin({0}), {1})")
MATRIX_TO_ARRAY = ("({M} @ {0})", "({0} @ {M})", "({M}.T @ {0})", "np.sum({M}, axis=0)",
                   "np.mean({M}, axis=1)", "(np.tanh({M}) @ {0})", "np.sum({M} * {0}, axis=1)",
                   "np.dot({M}, {0})")
ARRAY_UNARY = (
    "np.tanh({0})", "np.sin({0})", "np.cos({0})", "({0}) ** 2", "(-{0})",
    "np.exp(np.sin({0}))", "np.sqrt(1.0 + ({0}) * ({0}))", "np.arctan({0})",
    "np.cumsum({0})", "np.log1p(({0}) ** 2)",
)
ARRAY_BINARY_KINKS = ("np.maximum({0}, {1})", "np.minimum({0}, {1})", "np.abs({0})")
SCALAR_SQUASH = ("math.tanh({0})", "math.sin({0})", "({0}) / (1.0 + ({0}) ** 2)",
                 "0.5 * math.cos({0})")
ARRAY_SQUASH = ("np.tanh({0})", "np.sin({0})", "({0}) / (1.0 + ({0}) ** 2)")

# Every construct the generator can emit (a coverage test checks each one shows up).
CONSTRUCTS = (
    "assign", "reassign", "reassign_param", "augassign", "if", "elif", "else",
    "for_range", "for_range_n", "for_reversed", "for_array", "for_list", "for_enumerate",
    "for_zip", "for_range_len", "for_else", "while", "while_true", "break", "continue",
    "return_in_branch", "return_in_loop", "helper", "helper_call", "keyword_call",
    "helper_calls_helper", "recursion", "list_literal", "list_append", "list_store",
    "list_index", "list_sum", "list_len", "np_zeros", "array_copy", "array_expr", "elem_store",
    "elem_augstore", "array_augassign", "array_element", "np_array", "reduction", "ternary",
    "kink_op", "bool_op", "not", "squash", "nested_loop", "int_arg", "np_float64_arg",
    "array_arg", "int_param_n", "array_helper", "tuple_assign", "swap", "tuple_return",
    "nested_def", "lambda", "slice_read", "slice_store", "matrix_arg", "matmul", "for_rows",
    "matrix_element", "default_arg", "active_power", "chained_compare", "list_augstore",
    "while_else", "np_where", "int_arith", "max_of_list",
    # shapes that crashed generated code (issue 12): plain copies of scalars (also in loops),
    # a loop followed by nested branches that rebind its variables, op= in one branch only,
    # names bound in every branch or under a flag and read after the join, returns in
    # nested branches
    "copy_assign", "loop_then_branches", "augassign_in_branch", "bound_in_branches",
    "bound_under_flag", "return_in_nested_branch",
)


@dataclass
class Var:
    name: str
    kind: str
    owned: bool = False   # an array this function made: element stores and op= allowed
    length: int = 0       # lists: length known at this point (a lower bound)
    bound: int = -1       # ints: 0 <= value < bound when >= 0 (-1: unknown)
    param: bool = False


@dataclass
class Helper:
    name: str
    params: tuple          # (name, kind) pairs
    returns: str
    recursive: bool = False
    defaults: int = 0      # trailing parameters with a default value


@dataclass
class Ctx:
    env: dict                           # name -> Var visible here
    returns: str                        # kind the enclosing function returns
    helpers: tuple                      # helpers callable from here
    loop: bool = False                  # inside a loop body
    depth: int = 0                      # compound-statement nesting
    top: bool = True                    # straight-line top level of the function
    frozen: frozenset = frozenset()     # lists and arrays being iterated (no append, no op=)
    leaves: tuple = ()                  # extra scalar leaves, e.g. "l1[j]" in range(len(l1))
    in_helper: bool = False

    def child(self, **changes) -> "Ctx":
        return replace(self, env=dict(self.env), top=False, depth=self.depth + 1, **changes)

    def of(self, kind: str) -> list:
        return [v for v in self.env.values() if v.kind == kind]


@dataclass
class Program:
    """A generated program: module source, arguments of ``f`` and the parameters to
    differentiate."""
    source: str
    args: tuple
    wrt: tuple
    constructs: Counter = field(default_factory=Counter)

    def call_text(self) -> str:
        return f"f({', '.join(map(_arg_repr, self.args))})  # wrt={self.wrt!r}"

    def __repr__(self) -> str:
        return f"Program(\n{self.source}\n# {self.call_text()}\n)"


def _arg_repr(value) -> str:
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r})"
    if isinstance(value, np.float64):
        return f"np.float64({float(value)!r})"
    return repr(value)


def _indent(lines: list) -> list:
    return ["    " + line for line in lines]


_INTEGERS: dict = {}          # cached integer strategies (building one costs more than a draw)


class Builder:
    """Draws one program; every choice goes through hypothesis (so it shrinks)."""

    def __init__(self, draw):
        self.draw = draw
        self.used = Counter()
        self.serial = itertools.count(1)
        self.budget = 0

    # -- choices ----------------------------------------------------------------------------
    def pick(self, options):
        """One of ``options``; shrinks towards the first."""
        options = tuple(options)
        return options[self.number(0, len(options) - 1)]

    def number(self, low: int, high: int) -> int:
        """An int in [low, high]; shrinks towards ``low``."""
        strategy = _INTEGERS.get((low, high))
        if strategy is None:
            strategy = _INTEGERS[low, high] = st.integers(low, high)
        return self.draw(strategy)

    def chance(self, percent: int) -> bool:
        """True with about ``percent``% probability; shrinks to False."""
        return self.number(0, 99) >= 100 - percent

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self.serial)}"

    def mark(self, *names):
        for name in names:
            self.used[name] += 1

    # -- expressions ------------------------------------------------------------------------
    def index(self, ctx: Ctx) -> str:
        options = ["0", "1", "2", "-1"]
        for v in ctx.of(INT):
            options.append(v.name if 0 <= v.bound <= 3 else f"{v.name} % 3")
        return self.pick(options)

    def scalar(self, ctx: Ctx, depth: int) -> str:
        scalars, arrays, ints = ctx.of(SCALAR), ctx.of(ARRAY), ctx.of(INT)
        lists = ctx.of(LIST)
        options = (["var", "var"] if scalars else []) + ["const"]
        if arrays:
            options += ["element", "element"]
        if any(v.length for v in lists):
            options.append("item")
        if lists:
            options += ["lsum", "len"]
        if ints:
            options.append("int")
        if ctx.leaves:
            options.append("leaf")
        if ctx.of(MATRIX):
            options.append("melement")
        if ints:
            options.append("int_arith")
        if depth > 0:
            options += ["add", "sub", "mul", "div", "unary", "unary", "const_mul", "kink",
                        "ternary", "power"]
            if arrays:
                options += ["reduce", "reduce"]
            if any(h.returns == SCALAR for h in ctx.helpers):
                options.append("call")
            if any(v.length for v in lists):
                options.append("list_max")
        kind = self.pick(options)
        if kind == "var":
            return self.pick([v.name for v in scalars])
        if kind == "const":
            return self.pick(CONSTANTS)
        if kind == "element":
            self.mark("array_element")
            return f"{self.pick([v.name for v in arrays])}[{self.index(ctx)}]"
        if kind == "item":
            v = self.pick([v for v in lists if v.length])
            self.mark("list_index")
            return f"{v.name}[{self.pick(range(-v.length, v.length))}]"
        if kind == "lsum":
            self.mark("list_sum")
            return f"sum({self.pick([v.name for v in lists])})"
        if kind == "len":
            self.mark("list_len")
            return f"(0.1 * len({self.pick([v.name for v in lists])}))"
        if kind == "int":
            return f"(0.25 * {self.pick([v.name for v in ints])})"
        if kind == "leaf":
            return self.pick(ctx.leaves)
        if kind in ("add", "sub", "mul"):
            op = {"add": "+", "sub": "-", "mul": "*"}[kind]
            return f"({self.scalar(ctx, depth - 1)} {op} {self.scalar(ctx, depth - 1)})"
        if kind == "div":
            return f"({self.scalar(ctx, depth - 1)} / (1.0 + ({self.scalar(ctx, depth - 1)}) ** 2))"
        if kind == "unary":
            return self.pick(SCALAR_UNARY).format(self.scalar(ctx, depth - 1))
        if kind == "const_mul":
            return f"({self.pick(CONSTANTS)} * {self.scalar(ctx, depth - 1)})"
        if kind == "kink":
            self.mark("kink_op")
            if arrays and self.chance(30):
                return self.pick(ARRAY_KINKS).format(self.array(ctx, depth - 1))
            return self.pick(SCALAR_KINKS).format(self.scalar(ctx, depth - 1),
                                                  self.scalar(ctx, depth - 1))
        if kind == "ternary":
            self.mark("ternary")
            return (f"({self.scalar(ctx, depth - 1)} if {self.cond(ctx, 0)} "
                    f"else {self.scalar(ctx, depth - 1)})")
        if kind == "reduce":
            self.mark("reduction")
            template = self.pick(REDUCTIONS)
            if "[" in template:
                self.mark("slice_read")
            return template.format(self.array(ctx, depth - 1),
                                                self.array(ctx, depth - 1))
        if kind == "call":
            return self.call(ctx, SCALAR, depth)
        if kind == "melement":
            self.mark("matrix_element")
            matrix = self.pick([v.name for v in ctx.of(MATRIX)])
            return f"{matrix}[{self.index(ctx)}, {self.index(ctx)}]"
        if kind == "int_arith":
            self.mark("int_arith")
            i = self.pick([v.name for v in ints])
            return self.pick(["float({0} // 2)", "(0.5 * ({0} % 2))", "float(-{0})"]).format(i)
        if kind == "power":
            self.mark("active_power")
            return self.pick(POWERS).format(self.scalar(ctx, depth - 1),
                                            self.scalar(ctx, depth - 1))
        if kind == "list_max":
            self.mark("max_of_list", "kink_op")
            v = self.pick([v.name for v in lists if v.length])
            return self.pick(["max({0})", "min({0})"]).format(v)
        raise AssertionError(kind)

    def array(self, ctx: Ctx, depth: int) -> str:
        """An array expression of shape (3,); may be a bare name (see fresh_array)."""
        arrays = ctx.of(ARRAY)
        options = (["var", "var", "var"] if arrays else []) + ["const"]
        if depth > 0:
            options += ["add", "sub", "mul", "scale", "shift", "div", "unary", "unary",
                        "build", "kink"]
            if any(h.returns == ARRAY for h in ctx.helpers):
                options.append("call")
        if ctx.of(MATRIX):
            options += ["row", "matmul"]
        kind = self.pick(options)
        if kind == "var":
            return self.pick([v.name for v in arrays])
        if kind == "const":
            return f"np.array([{self.pick(CONSTANTS)}, 0.2, {self.pick(CONSTANTS)}])"
        if kind == "row":
            self.mark("matrix_element")
            return f"{self.pick([v.name for v in ctx.of(MATRIX)])}[{self.index(ctx)}]"
        if kind == "matmul":
            self.mark("matmul")
            matrix = self.pick([v.name for v in ctx.of(MATRIX)])
            return self.pick(MATRIX_TO_ARRAY).format(self.array(ctx, max(depth - 1, 0)), M=matrix)
        if kind in ("add", "sub", "mul"):
            op = {"add": "+", "sub": "-", "mul": "*"}[kind]
            return f"({self.array(ctx, depth - 1)} {op} {self.array(ctx, depth - 1)})"
        if kind == "scale":
            return f"({self.scalar(ctx, depth - 1)} * {self.array(ctx, depth - 1)})"
        if kind == "shift":
            return f"({self.array(ctx, depth - 1)} + {self.scalar(ctx, depth - 1)})"
        if kind == "div":
            return f"({self.array(ctx, depth - 1)} / (1.0 + ({self.array(ctx, depth - 1)}) ** 2))"
        if kind == "unary":
            return self.pick(ARRAY_UNARY).format(self.array(ctx, depth - 1))
        if kind == "build":
            self.mark("np_array")
            items = ", ".join(self.scalar(ctx, depth - 1) for _ in range(3))
            return f"np.array([{items}])"
        if kind == "kink":
            self.mark("kink_op")
            a, b = self.array(ctx, depth - 1), self.array(ctx, depth - 1)
            if self.chance(25):
                self.mark("np_where")
                return f"np.where({a} > {b}, {a}, {self.array(ctx, depth - 1)})"
            return self.pick(ARRAY_BINARY_KINKS).format(a, b)
        if kind == "call":
            return self.call(ctx, ARRAY, depth)
        raise AssertionError(kind)

    def fresh_array(self, ctx: Ctx, depth: int) -> str:
        """A new array object (never an alias of an existing one)."""
        text = self.array(ctx, depth)
        if isinstance(ast.parse(text, mode="eval").body, (ast.Name, ast.Subscript, ast.Attribute)):
            self.mark("array_copy")
            return f"{text}.copy()"
        self.mark("array_expr")
        return text

    def expr(self, ctx: Ctx, kind: str, depth: int) -> str:
        return self.scalar(ctx, depth) if kind == SCALAR else self.fresh_array(ctx, depth)

    def squash(self, text: str, kind: str) -> str:
        self.mark("squash")
        return self.pick(SCALAR_SQUASH if kind == SCALAR else ARRAY_SQUASH).format(text)

    def call(self, ctx: Ctx, returns: str, depth: int) -> str:
        helper = self.pick([h for h in ctx.helpers if h.returns == returns])
        self.mark("helper_call")
        if ctx.in_helper:
            self.mark("helper_calls_helper")
        if helper.returns == ARRAY:
            self.mark("array_helper")
        args = []
        for name, kind in helper.params:
            if kind == INT:
                depths = ["0", "1", "2", "3"]
                depths += [v.name for v in ctx.of(INT) if 0 <= v.bound <= 4 or v.name == "n"]
                args.append(self.pick(depths))
            elif kind == SCALAR:
                args.append(self.scalar(ctx, max(depth - 1, 0)))
            else:
                args.append(self.array(ctx, max(depth - 1, 0)))
        if helper.recursive:
            self.mark("recursion")
        if helper.defaults and self.chance(50):
            args = args[:len(args) - helper.defaults]
        if self.chance(20):
            self.mark("keyword_call")
            args = [f"{name}={a}" for (name, _), a in zip(helper.params, args)]
        return f"{helper.name}({', '.join(args)})"

    def combine(self, ctx: Ctx, kind: str) -> str:
        """A final result: an expression plus most of the local variables, so that what the
        function computed reaches its result."""
        if kind == PAIR:
            return f"{self.combine(ctx, SCALAR)}, {self.scalar(ctx, self.number(0, 2))}"
        terms = [self.expr(ctx, kind, self.number(0, 2))]
        for v in list(ctx.env.values()):
            if v.kind == INT or not self.chance(70):
                continue
            if v.kind == MATRIX:
                if kind == SCALAR:
                    terms.append(f"np.sum(np.tanh({v.name}))")
            elif v.kind == LIST:
                terms.append(f"sum({v.name})")
            elif v.kind == SCALAR or kind == ARRAY:
                terms.append(v.name)
            else:
                terms.append(self.pick(["np.sum({0})", "np.sum(np.sin({0}))", "({0} @ {0})"])
                             .format(v.name))
        return " + ".join(terms)

    def cond(self, ctx: Ctx, depth: int) -> str:
        options = ["cmp", "cmp_const"]
        if ctx.of(ARRAY):
            options += ["array"]
        options.append("chain")
        if depth > 0:
            options += ["and", "or", "not"]
        kind = self.pick(options)
        if kind == "cmp":
            return f"{self.scalar(ctx, 1)} {self.pick(COMPARISONS)} {self.scalar(ctx, 0)}"
        if kind == "cmp_const":
            return f"{self.scalar(ctx, 1)} {self.pick(COMPARISONS)} {self.pick(CONSTANTS)}"
        if kind == "array":
            arrays = [v.name for v in ctx.of(ARRAY)]
            if self.chance(50):
                return f"np.sum({self.pick(arrays)}) > {self.pick(CONSTANTS)}"
            return f"{self.pick(arrays)}[{self.index(ctx)}] < {self.scalar(ctx, 0)}"
        if kind == "chain":
            self.mark("chained_compare")
            return f"{self.pick(CONSTANTS)} < {self.scalar(ctx, 1)} < {self.scalar(ctx, 0)}"
        if kind == "not":
            self.mark("not")
            return f"not {self.cond(ctx, 0)}"
        self.mark("bool_op")
        return f"({self.cond(ctx, 0)} {kind} {self.cond(ctx, 0)})"

    # -- statements -------------------------------------------------------------------------
    def block(self, ctx: Ctx, longest: int = 3, may_return: bool = False) -> list:
        lines = []
        for _ in range(self.number(1, longest)):
            if self.budget <= 0:
                break
            self.budget -= 1
            lines += self.statement(ctx)
        if not lines:
            lines = self.assign_new(ctx)
        if may_return and self.chance(15):
            lines += self.return_stmt(ctx)
        return lines

    def return_stmt(self, ctx: Ctx) -> list:
        self.mark("return_in_loop" if ctx.loop else "return_in_branch")
        if ctx.returns == PAIR:
            return [f"return {self.scalar(ctx, 2)}, {self.scalar(ctx, 1)}"]
        return [f"return {self.expr(ctx, ctx.returns, 2)}"]

    def assign_new(self, ctx: Ctx) -> list:
        name = self.fresh("v")
        self.mark("assign")
        text = self.scalar(ctx, self.number(0, 2))
        ctx.env[name] = Var(name, SCALAR)
        return [f"{name} = {text}"]

    def statement(self, ctx: Ctx) -> list:
        scalars = ctx.of(SCALAR)
        owned = [v for v in ctx.of(ARRAY) if v.owned]
        lists = ctx.of(LIST)
        options = ["assign", "assign"]
        if scalars:
            options += ["reassign", "augassign"]
        options += ["new_array"]
        if ctx.of(ARRAY):
            options.append("array_reassign")
        if owned:
            options += ["elem_store", "elem_store", "elem_augstore"]
        if [v for v in owned if v.name not in ctx.frozen]:
            # (a += ... on the array a loop iterates is refused: the loop would read the
            # updated elements)
            options.append("array_augassign")
        options += ["new_list", "new_list"]
        if ctx.helpers:
            options += ["call", "call"]
        if [v for v in lists if v.name not in ctx.frozen]:
            options += ["append", "append", "append"]
        if [v for v in lists if v.length]:
            options.append("list_store")
        if ctx.depth < 2:
            options += ["if", "if", "for", "for", "for", "while"]
        if ctx.loop:
            options += ["break", "break", "continue", "continue"]
        if not ctx.top or ctx.in_helper:
            options.append("early_return")
        options.append("tuple_assign")
        if len(scalars) >= 2:
            options.append("swap")
        if owned:
            options.append("slice_store")
        if [v for v in lists if v.length]:
            options.append("list_augstore")
        if ctx.top and not ctx.in_helper:
            options.append("nested_def")
        if scalars and ctx.depth == 0:
            options.append("loop_then_branches")
        if scalars and ctx.depth < 2:
            options.append("flagged")
        kind = self.pick(options)
        return getattr(self, "s_" + kind)(ctx)

    def s_assign(self, ctx):
        return self.assign_new(ctx)

    def s_call(self, ctx):
        returns = self.pick(sorted({h.returns for h in ctx.helpers}))
        text = self.call(ctx, returns, self.number(1, 2))
        if returns == PAIR:
            first, second = self.fresh("v"), self.fresh("v")
            ctx.env[first] = Var(first, SCALAR)
            ctx.env[second] = Var(second, SCALAR)
            self.mark("tuple_return")
            return [f"{first}, {second} = {text}"]
        if returns == ARRAY:
            name = self.fresh("y")
            ctx.env[name] = Var(name, ARRAY, owned=True)
        else:
            name = self.fresh("v")
            ctx.env[name] = Var(name, SCALAR)
        self.mark("assign")
        return [f"{name} = {text}"]

    def s_tuple_assign(self, ctx):
        first, second = self.fresh("v"), self.fresh("v")
        texts = self.scalar(ctx, self.number(0, 2)), self.scalar(ctx, self.number(0, 2))
        ctx.env[first] = Var(first, SCALAR)
        ctx.env[second] = Var(second, SCALAR)
        self.mark("tuple_assign")
        return [f"{first}, {second} = {texts[0]}, {texts[1]}"]

    def s_swap(self, ctx):
        names = [v.name for v in ctx.of(SCALAR)]
        first = self.pick(names)
        second = self.pick([n for n in names if n != first])
        self.mark("swap")
        return [f"{first}, {second} = {second}, {first}"]

    def s_slice_store(self, ctx):
        v = self.pick([v for v in ctx.of(ARRAY) if v.owned])
        self.mark("slice_store")
        variant = self.pick(["set", "copy", "add"])
        if variant == "set":
            return [f"{v.name}[1:] = {self.scalar(ctx, self.number(0, 2))}"]
        if variant == "copy":
            return [f"{v.name}[:2] = ({self.array(ctx, self.number(0, 1))})[1:]"]
        text = self.scalar(ctx, self.number(0, 1))
        if ctx.loop:
            text = self.squash(text, SCALAR)
        return [f"{v.name}[{self.pick(['1:', ':2', '::2'])}] += {text}"]

    def s_list_augstore(self, ctx):
        v = self.pick([v for v in ctx.of(LIST) if v.length])
        self.mark("list_augstore")
        text = self.scalar(ctx, self.number(0, 1))
        if ctx.loop:
            text = self.squash(text, SCALAR)
        index = self.pick(range(-v.length, v.length))
        return [f"{v.name}[{index}] {self.pick(['+=', '-='])} {text}"]

    def s_nested_def(self, ctx):
        name = self.fresh("inner")
        env = {v.name: v for v in ctx.env.values() if v.kind in (SCALAR, ARRAY)}
        env["t"] = Var("t", SCALAR, param=True)
        inner = Ctx(env, SCALAR, ctx.helpers, in_helper=True, depth=2)
        body = self.scalar(inner, self.number(1, 2))
        ctx.helpers = ctx.helpers + (Helper(name, (("t", SCALAR),), SCALAR),)
        if self.chance(40):
            self.mark("lambda")
            return [f"{name} = lambda t: {body}"]
        self.mark("nested_def")
        return [f"def {name}(t):", f"    return {body}"]

    def s_reassign(self, ctx):
        if len(ctx.of(SCALAR)) >= 2 and self.chance(25):
            return self.s_copy(ctx)
        v = self.pick(ctx.of(SCALAR))
        text = self.scalar(ctx, self.number(0, 2))
        if ctx.loop:
            text = self.squash(text, SCALAR)
        self.mark("reassign_param" if v.param else "reassign")
        return [f"{v.name} = {text}"]

    def s_augassign(self, ctx):
        v = self.pick(ctx.of(SCALAR))
        self.mark("augassign")
        op = self.pick(["+=", "-=", "*=", "/="])
        text = self.scalar(ctx, self.number(0, 1))
        if op == "/=":
            text = f"(1.0 + ({text}) ** 2)"
        elif op == "*=" and ctx.loop:
            text = self.pick(["math.cos({0})", "math.tanh({0})"]).format(text)
        elif ctx.loop:
            text = self.squash(text, SCALAR)
        return [f"{v.name} {op} {text}"]

    def s_new_array(self, ctx):
        name = self.fresh("y")
        variant = self.pick(["zeros", "expr", "copy"] if ctx.of(ARRAY) else ["zeros", "expr"])
        if variant == "zeros":
            self.mark("np_zeros")
            text = "np.zeros(3)"
        elif variant == "copy":
            self.mark("array_copy")
            text = f"{self.pick([v.name for v in ctx.of(ARRAY)])}.copy()"
        else:
            text = self.fresh_array(ctx, self.number(1, 2))
        ctx.env[name] = Var(name, ARRAY, owned=True)
        return [f"{name} = {text}"]

    def s_array_reassign(self, ctx):
        v = self.pick(ctx.of(ARRAY))
        text = self.fresh_array(ctx, self.number(1, 2))
        if ctx.loop:
            text = self.squash(text, ARRAY)
        if ctx.top:
            v.owned = True          # a new array from here on, even for a parameter
        self.mark("reassign_param" if v.param else "reassign")
        return [f"{v.name} = {text}"]

    def s_elem_store(self, ctx):
        v = self.pick([v for v in ctx.of(ARRAY) if v.owned])
        self.mark("elem_store")
        return [f"{v.name}[{self.index(ctx)}] = {self.scalar(ctx, self.number(0, 2))}"]

    def s_elem_augstore(self, ctx):
        v = self.pick([v for v in ctx.of(ARRAY) if v.owned])
        self.mark("elem_augstore")
        op = self.pick(["+=", "-=", "*="])
        text = self.scalar(ctx, self.number(0, 1))
        if op == "*=":
            text = self.pick(["math.cos({0})", "math.tanh({0})"]).format(text)
        elif ctx.loop:
            text = self.squash(text, SCALAR)
        return [f"{v.name}[{self.index(ctx)}] {op} {text}"]

    def s_array_augassign(self, ctx):
        v = self.pick([v for v in ctx.of(ARRAY) if v.owned and v.name not in ctx.frozen])
        self.mark("array_augassign")
        op = self.pick(["+=", "-=", "*="])
        text = self.array(ctx, self.number(0, 1))
        if op == "*=":
            text = self.pick(["np.cos({0})", "np.tanh({0})"]).format(text)
        elif ctx.loop:
            text = self.squash(text, ARRAY)
        return [f"{v.name} {op} {text}"]

    def s_new_list(self, ctx):
        name = self.fresh("l")
        n = self.pick([0, 2, 1, 3])
        self.mark("list_literal")
        items = ", ".join(self.scalar(ctx, 1) for _ in range(n))
        ctx.env[name] = Var(name, LIST, length=n)
        return [f"{name} = [{items}]"]

    def s_append(self, ctx):
        v = self.pick([v for v in ctx.of(LIST) if v.name not in ctx.frozen])
        self.mark("list_append")
        line = f"{v.name}.append({self.scalar(ctx, self.number(0, 2))})"
        if ctx.top:
            v.length += 1
        return [line]

    def s_list_store(self, ctx):
        v = self.pick([v for v in ctx.of(LIST) if v.length])
        self.mark("list_store")
        text = self.scalar(ctx, self.number(0, 2))
        if ctx.loop:
            text = self.squash(text, SCALAR)
        return [f"{v.name}[{self.pick(range(-v.length, v.length))}] = {text}"]

    def s_if(self, ctx):
        self.mark("if")
        # A name bound in every branch (a return may end a branch first) is read after.
        joined = self.fresh("v") if self.chance(30) else None
        branches = [f"if {self.cond(ctx, 1)}:"]
        while self.chance(25):
            self.mark("elif")
            branches.append(f"elif {self.cond(ctx, 1)}:")
        has_else = joined is not None or self.chance(50)
        if has_else:
            self.mark("else")
            branches.append("else:")
        lines = []
        for number, header in enumerate(branches):
            inner = ctx.child()
            first = []
            if joined is not None:
                text = self.scalar(inner, self.number(0, 2))
                first = [f"{joined} = {self.squash(text, SCALAR) if ctx.loop else text}"]
                inner.env[joined] = Var(joined, SCALAR)
            longest = 2 if header.startswith("elif") else 3
            lines += [header] + _indent(first + self.block(inner, longest, may_return=True))
        if joined is not None:
            self.mark("bound_in_branches")
            ctx.env[joined] = Var(joined, SCALAR)
        return lines

    def s_copy(self, ctx):
        """``x = y`` for two scalars: the two names hold one object (a copy stays bounded,
        so loops may do it too)."""
        names = [v.name for v in ctx.of(SCALAR)]
        first = self.pick(names)
        self.mark("copy_assign")
        return [f"{first} = {self.pick([n for n in names if n != first])}"]

    def s_loop_then_branches(self, ctx):
        """A loop that rebinds scalars (copies, updates), then nested branches that rebind
        them again, with ``op=`` in one branch only and sometimes a return in the inner one
        (the shape of issue 12's p2)."""
        self.mark("loop_then_branches")
        scalars = [v.name for v in ctx.of(SCALAR)]
        i = self.fresh("i")
        lines = [f"for {i} in range({self.pick([1, 2, 3, 0])}):"]
        body = ctx.child(loop=True)
        body.env[i] = Var(i, INT, bound=3)
        for _ in range(self.number(1, 2)):
            lines += _indent(self.rebind(body, scalars, in_loop=True))
        inner = [f"if {self.cond(ctx, 1)}:"]
        inner += _indent(self.rebind(ctx.child(), scalars))
        if self.chance(40):
            self.mark("return_in_nested_branch")
            inner += _indent(self.return_stmt(ctx.child()))
        if self.chance(40):
            inner += ["else:"] + _indent(self.rebind(ctx.child(), scalars))
        lines += [f"if {self.cond(ctx, 1)}:"] + _indent(inner)
        if self.chance(70):
            lines += ["else:"] + _indent(self.rebind(ctx.child(), scalars, update=True))
        if self.chance(50):
            lines += self.rebind(ctx, scalars, update=True)       # op= after it all
        return lines

    def rebind(self, ctx, scalars: list, in_loop: bool = False, update: bool = False) -> list:
        """One statement rebinding one of ``scalars``: a copy of another, an ``op=`` or a new
        value (squashed in a loop)."""
        target = self.pick(scalars)
        others = [n for n in scalars if n != target]
        kind = "update" if update else self.pick(["copy", "update", "new"] if others
                                                  else ["update", "new"])
        if kind == "copy" and others:
            self.mark("copy_assign")
            return [f"{target} = {self.pick(others)}"]
        if kind == "update":
            self.mark("augassign", "augassign_in_branch")
            op = self.pick(["*=", "+=", "-="])
            text = self.scalar(ctx, self.number(0, 2))
            if op == "*=" or in_loop:
                text = self.pick(["math.cos({0})", "math.tanh({0})", "0.5 * math.sin({0})"]
                                 ).format(text) if op == "*=" else self.squash(text, SCALAR)
            return [f"{target} {op} {text}"]
        text = self.scalar(ctx, self.number(0, 2))
        self.mark("reassign_param" if ctx.env[target].param else "reassign")
        return [f"{target} = {self.squash(text, SCALAR) if in_loop else text}"]

    def s_flagged(self, ctx):
        """A name bound under a flag only, read after the join under the same flag (Python
        allows it: the flag does not change in between)."""
        self.mark("bound_under_flag")
        flag, bound = self.fresh("flag"), self.fresh("v")
        text = self.scalar(ctx, self.number(0, 2))
        lines = [f"{flag} = {self.cond(ctx, 1)}", f"if {flag}:",
                 f"    {bound} = {self.squash(text, SCALAR) if ctx.loop else text}"]
        if self.chance(50):
            lines += ["else:"] + _indent(self.rebind(ctx.child(), [v.name for v in
                                                                    ctx.of(SCALAR)]))
        target = self.pick([v.name for v in ctx.of(SCALAR)])
        if self.chance(50):
            lines += [f"if {flag}:", f"    {target} {self.pick(['+=', '-='])} {bound}"]
        else:
            result = self.fresh("v")
            lines += [f"{result} = {bound} if {flag} else {self.pick(CONSTANTS)}"]
            ctx.env[result] = Var(result, SCALAR)
        return lines

    def s_for(self, ctx):
        if ctx.loop:
            self.mark("nested_loop")
        options = ["range", "reversed"]
        if any(v.name == "n" for v in ctx.of(INT)):
            options.append("range_n")
        if ctx.of(ARRAY):
            options += ["array", "enumerate", "zip"]
        if ctx.of(LIST):
            options += ["list", "range_len"]
        if ctx.of(MATRIX):
            options.append("rows")
        variant = self.pick(options)
        body = ctx.child(loop=True)
        if variant in ("range", "reversed", "range_n"):
            i = self.fresh("i")
            if variant == "range_n":
                self.mark("for_range_n")
                header, bound = f"for {i} in range(n):", 3
            else:
                k = self.pick([3, 2, 1, 0, 4])
                start = self.pick(["", "1, "]) if variant == "range" else ""
                rng = f"range({start}{k})"
                if variant == "reversed":
                    self.mark("for_reversed")
                    rng = f"reversed({rng})"
                else:
                    self.mark("for_range")
                header, bound = f"for {i} in {rng}:", k
            body.env[i] = Var(i, INT, bound=bound)
        elif variant == "array":
            self.mark("for_array")
            e = self.fresh("e")
            iterated = self.pick([v.name for v in ctx.of(ARRAY)])
            header = f"for {e} in {iterated}:"
            body.env[e] = Var(e, SCALAR)
            body.frozen = body.frozen | {iterated}
        elif variant == "enumerate":
            self.mark("for_enumerate")
            j, e = self.fresh("j"), self.fresh("e")
            iterated = self.pick([v.name for v in ctx.of(ARRAY)])
            header = f"for {j}, {e} in enumerate({iterated}):"
            body.frozen = body.frozen | {iterated}
            body.env[j] = Var(j, INT, bound=3)
            body.env[e] = Var(e, SCALAR)
        elif variant == "zip":
            self.mark("for_zip")
            e1, e2 = self.fresh("e"), self.fresh("e")
            arrays = [v.name for v in ctx.of(ARRAY)]
            first, second = self.pick(arrays), self.pick(arrays)
            header = f"for {e1}, {e2} in zip({first}, {second}):"
            body.frozen = body.frozen | {first, second}
            body.env[e1] = Var(e1, SCALAR)
            body.env[e2] = Var(e2, SCALAR)
        elif variant == "list":
            self.mark("for_list")
            e = self.fresh("e")
            lst = self.pick([v.name for v in ctx.of(LIST)])
            header = f"for {e} in {lst}:"
            body.env[e] = Var(e, SCALAR)
            body.frozen = body.frozen | {lst}
        elif variant == "rows":
            self.mark("for_rows")
            row = self.fresh("r")
            header = f"for {row} in {self.pick([v.name for v in ctx.of(MATRIX)])}:"
            body.env[row] = Var(row, ARRAY)
        else:
            self.mark("for_range_len")
            j = self.fresh("j")
            lst = self.pick([v.name for v in ctx.of(LIST)])
            header = f"for {j} in range(len({lst})):"
            body.env[j] = Var(j, INT)
            body.leaves = body.leaves + (f"{lst}[{j}]",)
        lines = [header] + _indent(self.block(body, may_return=False))
        if self.chance(25):
            self.mark("for_else")
            lines += ["else:"] + _indent(self.block(ctx.child(), 1))
        return lines

    def s_while(self, ctx):
        k = self.fresh("k")
        limit = self.pick([3, 2, 1, 4])
        body = ctx.child(loop=True)
        body.env[k] = Var(k, INT)
        if self.chance(30):
            self.mark("while_true")
            head = ["while True:", f"    {k} += 1", f"    if {k} > {limit}:", "        break"]
        else:
            self.mark("while")
            test = f"{k} < {limit}"
            if self.chance(70):
                test = self.pick(["{0} and {1}", "{1} and {0}"]).format(test, self.cond(ctx, 0))
            head = [f"while {test}:", f"    {k} += 1"]
        if ctx.loop:
            self.mark("nested_loop")
        lines = [f"{k} = 0"] + head + _indent(self.block(body, may_return=False))
        if self.chance(15):
            self.mark("while_else")
            lines += ["else:"] + _indent(self.block(ctx.child(), 1))
        return lines

    def s_break(self, ctx):
        self.mark("break")
        return [f"if {self.cond(ctx, 1)}:", "    break"]

    def s_continue(self, ctx):
        self.mark("continue")
        return [f"if {self.cond(ctx, 1)}:", "    continue"]

    def s_early_return(self, ctx):
        return [f"if {self.cond(ctx, 1)}:"] + _indent(self.return_stmt(ctx))

    # -- functions --------------------------------------------------------------------------
    def helper(self, name: str, helpers: tuple) -> tuple:
        params = [("p", SCALAR)]
        if self.chance(40):
            params.append(("q", self.pick([SCALAR, ARRAY])))
        returns = self.pick([SCALAR, ARRAY, PAIR] if any(k == ARRAY for _, k in params)
                            else [SCALAR, PAIR])
        env = {p: Var(p, k, param=True) for p, k in params}
        ctx = Ctx(env, returns, helpers, in_helper=True, depth=1)
        self.budget = self.number(0, 3)
        lines = self.block(ctx, 3) if self.budget else []
        lines.append(f"return {self.combine(ctx, returns)}")
        self.mark("helper")
        signature = [p for p, _ in params]
        defaults = 0
        if len(params) == 2 and params[1][1] == SCALAR and self.chance(30):
            self.mark("default_arg")
            signature[1] += f"={self.pick(CONSTANTS)}"
            defaults = 1
        text = [f"def {name}({', '.join(signature)}):"] + _indent(lines)
        return Helper(name, tuple(params), returns, defaults=defaults), text

    def recursive(self, name: str, helpers: tuple) -> tuple:
        params = (("p", SCALAR), ("depth", INT))
        env = {"p": Var("p", SCALAR, param=True), "depth": Var("depth", INT, param=True)}
        ctx = Ctx(env, SCALAR, helpers, in_helper=True, depth=2)
        me = Helper(name, params, SCALAR, recursive=True)
        step = self.squash(self.scalar(ctx, 1), SCALAR)
        if self.chance(50):
            lines = ["if depth <= 0:", f"    return {self.scalar(ctx, 1)}",
                     f"q = {step}",
                     f"return {self.pick(CONSTANTS)} * {name}(q, depth - 1) "
                     f"+ {self.scalar(ctx, 1)}"]
        else:
            lines = [f"s = {self.scalar(ctx, 1)}", "if depth > 0:",
                     f"    s = s + {self.pick(CONSTANTS)} * {name}({step}, depth - 1)",
                     "return s"]
        self.mark("helper")
        return me, [f"def {name}(p, depth):"] + _indent(lines)

    def program(self) -> Program:
        helpers, chunks = (), []
        for _ in range(self.number(0, 2)):
            helper, text = self.helper(self.fresh("helper"), helpers)
            helpers += (helper,)
            chunks.append(text)
        if self.chance(40):
            helper, text = self.recursive(self.fresh("rec"), helpers)
            helpers += (helper,)
            chunks.append(text)

        n_scalars = self.number(1, 3)
        n_arrays = self.number(0, 2)
        with_n = self.chance(30)
        params = [f"x{i}" for i in range(n_scalars)] + [f"a{i}" for i in range(n_arrays)]
        if self.chance(20):
            params.append("m0")
        kinds = {"x": SCALAR, "a": ARRAY, "m": MATRIX}
        env = {p: Var(p, kinds[p[0]], param=True) for p in params}
        if with_n:
            self.mark("int_param_n")
            env["n"] = Var("n", INT, bound=4, param=True)
        ctx = Ctx(env, SCALAR, helpers)
        self.budget = self.number(2, 12)
        lines = []
        while self.budget > 0:
            self.budget -= 1
            lines += self.statement(ctx)
        lines.append(f"return {self.combine(ctx, SCALAR)}")
        signature = params + (["n"] if with_n else [])
        chunks.append([f"def f({', '.join(signature)}):"] + _indent(lines))
        source = "import math\n\nimport numpy as np\n"
        for chunk in chunks:
            source += "\n\n" + "\n".join(chunk) + "\n"

        args = []
        for p in params:
            if p[0] == "x":
                value = self.value()
                kind = self.pick(["float", "float", "float", "np.float64", "int"])
                if kind == "np.float64":
                    self.mark("np_float64_arg")
                    value = np.float64(value)
                elif kind == "int":
                    self.mark("int_arg")
                    value = int(round(value))
                args.append(value)
            elif p[0] == "a":
                self.mark("array_arg")
                args.append(np.array([self.value() for _ in range(3)]))
            else:
                self.mark("matrix_arg")
                args.append(np.array([[self.value() for _ in range(3)] for _ in range(3)]))
        if with_n:
            args.append(self.number(0, 3))
        chosen = [p for p in params if self.chance(60)] or [params[0]]
        return Program(source, tuple(args), tuple(chosen), self.used)

    def value(self) -> float:
        return round(self.number(-200, 200) / 100 + 0.0031, 4)


@st.composite
def programs(draw) -> Program:
    """A random valid program (see the module docstring)."""
    return Builder(draw).program()
