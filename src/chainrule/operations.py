"""What each normalized statement does, as far as differentiation is concerned.

:func:`classify` turns every statement of the normal form into an :class:`Operation`: which
local names its value depends on differentiably, and how its adjoint is computed (a copy, an
inlined rule, an index, a literal container), or why it has no gradient, or why it cannot be
differentiated (reported only if the statement turns out to be active).
"""

from __future__ import annotations

import bisect
import heapq
import inspect
import operator
import random
import types
from dataclasses import dataclass, field
from typing import Any

import gast
import numpy as np

from .errors import TransformError
from .normalize import NormalFunction
from .parsing import MISSING, ParsedFunction, resolve_dotted
from .rules import rule_for
from .runtime import max_of, min_of
from .rules.registry import (Rule, attribute_function, describe_callable, method_function,
                             nondifferentiable_reason)
from .syntax import const, make, to_source

BINARY_OPERATORS = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
    gast.Mod: operator.mod, gast.FloorDiv: operator.floordiv, gast.BitAnd: operator.and_,
    gast.BitOr: operator.or_, gast.BitXor: operator.xor, gast.LShift: operator.lshift,
    gast.RShift: operator.rshift,
}
UNARY_OPERATORS = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Invert: operator.invert}

# Attributes of arrays that carry no gradient.
CONSTANT_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"}
# Array methods whose extra positional arguments form one tuple (x.reshape(2, 3)).
PACKED_METHODS = {"reshape": "shape", "transpose": "axes"}

COPY, CONSTANT, RULE, INDEX, PACK, NONDIFF, REFUSED, ITERATE, CALL, STORE, JOIN = (
    "copy", "constant", "rule", "index", "pack", "nondiff", "refused", "iterate", "call",
    "store", "join")

# Why an index carries no gradient (the operands of x[i] other than x, of x[i] = v other than v).
AN_INDEX = "an index selects elements; its value has no gradient"
# NumPy's index objects whose subscript joins its parts into one array (np.r_[x, 0.0, y]).
_CONCATENATORS = (np.r_, np.c_)

# Python functions under these modules are never differentiated through their source: a
# NumPy or standard-library function without a rule is reported as such.
_LIBRARY_MODULES = ("numpy", "math", "builtins", "scipy", "operator", "functools")


@dataclass
class Operation:
    statement: Any
    target: str | None
    kind: str
    inputs: list[str] = field(default_factory=list)    # local names the gradient flows into
    rule: Rule | None = None
    arguments: dict[str, Any] = field(default_factory=dict)   # rule parameter -> atom
    callee: Any = None
    problem: TransformError | None = None
    # Why the names the statement reads besides ``inputs`` carry no gradient (an index, a
    # comparison, a function of the non-differentiable table). A name read and neither an
    # input nor covered by this reason may not depend on a differentiated input: see
    # :func:`chainrule.activity.analyse`, which every operation goes through.
    why_constant: str | None = None

    def operands(self) -> set[str]:
        """Every name the operation reads."""
        statement = self.statement
        if self.kind == ITERATE:
            read = [self.arguments["sequence"]]
        elif isinstance(statement, (gast.Assign, gast.Expr)):
            read = [statement.value]
            if isinstance(statement, gast.Assign) and isinstance(statement.targets[0],
                                                                 gast.Subscript):
                read.append(statement.targets[0].slice)
        else:
            return set()
        return {n.id for node in read for n in gast.walk(node)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def describe(op: Operation) -> str:
    """What an operation is, for an error: ``np.s_[...]``, ``numpy.floor_divide``,
    ``attribute .real``."""
    value = getattr(op.statement, "value", None)
    if isinstance(value, gast.Subscript):
        return f"{to_source(value.value).strip()}[...]"
    if op.callee is not None:
        return describe_callable(op.callee)
    if isinstance(value, gast.Call):
        return f"call of {to_source(value.func).strip()}"
    if isinstance(value, gast.Attribute):
        return f"attribute .{value.attr}"
    return type(value).__name__


def local_name(atom, locals_: set[str]) -> str | None:
    return atom.id if isinstance(atom, gast.Name) and atom.id in locals_ else None


class Classifier:
    def __init__(self, function: NormalFunction, locals_: set[str],
                 parsed: ParsedFunction | None = None):
        self.function = function
        self.parsed = parsed or function.parsed
        self.locals = locals_
        self.statement = None              # the statement being classified
        # Locals bound once, to a library object such as np.r_ (R = np.r_): R[x, y] is that
        # object's subscript, not an index into data. (A name bound on several paths may be
        # data on another: its subscript is checked when the code runs, see generate.py.)
        self.objects: dict[str, Any] = {}
        self.bound_once = _bound_once(function.body)

    def error(self, node, message, construct, hint=None) -> TransformError:
        # A call the normal form made anew (a call statement's) has no place of its own:
        # the statement it came from has.
        origin = self.parsed.origin(node) or self.parsed.origin(
            getattr(self.statement, "user_statement", None) or self.statement)
        return TransformError(f"cannot differentiate {self.parsed.name}: {message}",
                              construct=construct, hint=hint, origin=origin)

    def names(self, atoms) -> list[str]:
        found = [local_name(a, self.locals) for a in atoms]
        return [n for n in found if n is not None]

    def classify(self, statement) -> Operation:
        self.statement = statement
        if isinstance(statement, gast.Expr) and isinstance(statement.value, gast.Call):
            # A call made for its effects: checked like any call (out=, in-place writers),
            # never differentiated. A call of your function keeps its callee and arguments,
            # for the check that it changes none of them in place.
            called = self.call(statement, None, statement.value)
            if called.kind == CALL:
                return Operation(statement, None, CALL, called.inputs,
                                 arguments=called.arguments, callee=called.callee)
            return Operation(statement, None, NONDIFF)
        if not isinstance(statement, gast.Assign):
            return Operation(statement, None, NONDIFF)
        if isinstance(statement.targets[0], gast.Subscript):
            # container[index] = value: the container now also depends on the value.
            store = statement.targets[0]
            return Operation(statement, store.value.id, STORE, self.names([statement.value]),
                             arguments={"index": store.slice, "value": statement.value},
                             why_constant=AN_INDEX)
        target = statement.targets[0].id
        value = statement.value
        operation = self.value(statement, target, value)
        return operation

    def refuse_writer_as_value(self, value) -> None:
        """``g = np.copyto`` (or one passed to a function): a later ``g(y, x)`` would write
        into ``y`` unseen."""
        if isinstance(value, (gast.Name, gast.Attribute)) and not self.names([_root(value)]):
            primal = resolve_dotted(self.parsed, value, self.locals)
            if _writes_in_place(primal, value):
                raise self.error(value, f"{describe_callable(primal)} writes into an "
                                        f"existing array and is taken as a value, which "
                                        f"cannot be differentiated", "in-place NumPy write",
                                 "build a new array instead (e.g. np.where, or y = y.copy(); "
                                 "y[index] = value)")

    def value(self, statement, target, value) -> Operation:
        self.refuse_writer_as_value(value)
        if isinstance(value, gast.Name) and self.names([value]):
            if value.id in self.objects and target in self.bound_once:
                self.objects[target] = self.objects[value.id]
            return Operation(statement, target, COPY, self.names([value]))
        if isinstance(value, (gast.Name, gast.Attribute)) and not self.names([_root(value)]):
            bound = resolve_dotted(self.parsed, value, self.locals)
            if not _is_data(bound) and target in self.bound_once:
                self.objects[target] = bound
            return Operation(statement, target, CONSTANT)
        if isinstance(value, gast.Constant):
            return Operation(statement, target, CONSTANT)
        if getattr(value, "chainrule_opaque", False):
            return self.opaque(statement, target, value)
        if isinstance(value, gast.BinOp):
            primal = BINARY_OPERATORS.get(type(value.op))
            return self.with_rule(statement, target, primal, [value.left, value.right], [])
        if isinstance(value, gast.UnaryOp):
            primal = UNARY_OPERATORS.get(type(value.op))
            return self.with_rule(statement, target, primal, [value.operand], [])
        if isinstance(value, gast.Compare):
            return Operation(statement, target, NONDIFF, why_constant="a comparison")
        if isinstance(value, gast.Call):
            return self.call(statement, target, value)
        if isinstance(value, gast.Attribute):
            return self.attribute(statement, target, value)
        if isinstance(value, gast.Subscript):
            if not self.names([value.value]):
                return self.subscript_of_object(statement, target, value, resolve_dotted(
                    self.parsed, value.value, self.locals))
            if isinstance(value.value, gast.Name) and value.value.id in self.objects:
                return self.subscript_of_object(statement, target, value,
                                                self.objects[value.value.id])
            return Operation(statement, target, INDEX, self.names([value.value]),
                             why_constant=AN_INDEX)
        if isinstance(value, (gast.Tuple, gast.List)):
            return Operation(statement, target, PACK, self.names(value.elts))
        if isinstance(value, gast.Dict):
            return Operation(statement, target, PACK, self.names(value.values))
        raise self.error(value, f"{type(value).__name__} is not supported",
                         type(value).__name__)

    def opaque(self, statement, target, value) -> Operation:
        # The normal form keeps whole only and/or/not that yield True/False: no gradient.
        return Operation(statement, target, NONDIFF, why_constant="a True/False test")

    def subscript_of_object(self, statement, target, value, container) -> Operation:
        """``obj[key]`` where ``obj`` is not a local: data indexed by a key (no gradient
        through an index), ``np.r_``/``np.c_`` (differentiated), or an object whose
        ``__getitem__`` computes something from the key (``np.s_``, ``np.mgrid``): its result
        is taken for a constant, so it is refused if the key needs a gradient (activity.py)."""
        if _is_data(container):
            return Operation(statement, target, INDEX, why_constant=AN_INDEX)
        if any(container is concatenator for concatenator in _CONCATENATORS):
            parts = value.slice.elts if isinstance(value.slice, gast.Tuple) else [value.slice]
            what = f"np.{'r' if container is np.r_ else 'c'}_"
            if parts and isinstance(parts[0], gast.Constant) and isinstance(parts[0].value, str):
                # Refused only where it would need a gradient (see generate.py).
                problem = self.error(value, f"{what}[...] with the directive "
                                            f"{parts[0].value!r} is not supported",
                                     f"{what} directive", "join the arrays with np.concatenate, "
                                                          "np.stack or np.column_stack")
                return Operation(statement, target, REFUSED, self.names(parts), problem=problem)
            # Ranges written as slices (np.r_[0:3, x]) are constants: a bound that needs a
            # gradient is left out of the inputs, so it is refused (activity.py).
            inputs = self.names([p for p in parts if not isinstance(p, gast.Slice)])
            return Operation(statement, target, JOIN, inputs, callee=container)
        return Operation(statement, target, INDEX)

    def call(self, statement, target, call) -> Operation:
        func = call.func
        args, keywords = list(call.args), list(call.keywords)
        for argument in args + [keyword.value for keyword in keywords]:
            self.refuse_writer_as_value(argument)
        if any(k.arg == "out" and not (isinstance(k.value, gast.Constant) and k.value.value
                                       is None) for k in keywords):
            # Checked for every call (a rule's binding checks it too): a function with no
            # gradient (np.floor(x, out=y)) would otherwise write into y unseen.
            where = f".{func.attr}" if isinstance(func, gast.Attribute) and self.names(
                [func.value]) else describe_callable(resolve_dotted(self.parsed, func,
                                                                    self.locals))
            raise self.error(call, f"{where}(out=...) writes into an existing array, which "
                                   f"cannot be differentiated", "out= argument",
                             "assign the result to a new name instead")
        if isinstance(func, gast.Attribute) and self.names([func.value]):
            # A method of a local value: x.sum(axis=0) is differentiated as np.sum(x, axis=0).
            primal = method_function(func.attr)
            if primal is None:
                return self.refuse(statement, target, call, f"method .{func.attr}()",
                                   [func.value] + args + [k.value for k in keywords],
                                   self.method_hint(func))
            packed = PACKED_METHODS.get(func.attr)
            if packed and len(args) > 1:
                args = [make(gast.Tuple, elts=args, ctx=gast.Load())]
            return self.with_rule(statement, target, primal, [func.value] + args, keywords,
                                  node=call)
        primal = resolve_dotted(self.parsed, func, self.locals)
        if _writes_in_place(primal, func) or _not_copying(primal, call):
            raise self.error(call, f"{describe_callable(primal)} writes into an existing array, "
                                   f"which cannot be differentiated", "in-place NumPy write",
                             "leave copy at True and use the result (y = np.nan_to_num(y))"
                             if _not_copying(primal, call) else
                             "build a new array instead (e.g. np.where, or y = y.copy(); "
                             "y[index] = value)")
        if (primal is max or primal is min) and len(args) == 1 and not keywords:
            primal = max_of if primal is max else min_of      # max(xs): the iterable form
        if primal is MISSING:
            if self.names([_root(func)]):
                return self.refuse(statement, target, call, "a call of a local value",
                                   [func] + args + [k.value for k in keywords],
                                   "call the function by a global or closure name (a factory's "
                                   "make_loss(fn) closure works), or assign a lambda in this "
                                   "function; a function passed as an argument is not followed")
            raise self.error(call, f"name '{gast.dump(func) if not isinstance(func, gast.Name) else func.id}' "
                             f"is not defined", "undefined name")
        return self.with_rule(statement, target, primal, args, keywords, node=call)

    def attribute(self, statement, target, value) -> Operation:
        if value.attr in CONSTANT_ATTRIBUTES:
            return Operation(statement, target, NONDIFF, why_constant="shape or type information")
        primal = attribute_function(value.attr)
        if primal is None:
            hint = (f"array attributes without a rule are not differentiated (those with one "
                    f"are listed in docs/numpy.md); use a NumPy function instead (np.ravel(x) "
                    f"for .flat)" if hasattr(np.ndarray, value.attr) else
                    "attributes of objects are not differentiated: unpack or index a result "
                    "with named fields (u, s, vh = np.linalg.svd(a), not .S), and pass other "
                    "values as arguments (numbers, arrays, or lists, tuples and dicts of them)")
            return self.refuse(statement, target, value, f"attribute .{value.attr}",
                               [value.value], hint)
        return self.with_rule(statement, target, primal, [value.value], [], node=value)

    def refuse(self, statement, target, node, what, atoms,
               hint="register one with @chainrule.adjoint") -> Operation:
        problem = self.error(node, f"{what} has no gradient rule", what, hint)
        return Operation(statement, target, REFUSED, self.names(atoms), problem=problem)

    def method_hint(self, func) -> str:
        """What works instead of ``obj.name(...)``: a rule cannot be registered for a
        method of a value (only for a function), but a call through the class is a call of
        a plain function, which is differentiated from its source."""
        receiver, method = func.value.id, func.attr
        if hasattr(np.ndarray, method):
            instead = {"item": f"index it instead ({receiver}[0], {receiver}[i, j])",
                       "tolist": f"use list({receiver}) (its rows) instead"}.get(method) or (
                f"call the NumPy function np.{method}({receiver}, ...) if it has a rule, or "
                f"register one for it with @chainrule.adjoint" if hasattr(np, method) else
                "write it with NumPy functions that have rules")
            return (f"array methods without a rule are not differentiated (those with one are "
                    f"listed in docs/numpy.md); {instead}")
        if any(hasattr(kind, method) for kind in (dict, list, tuple, str)):
            return (f"methods of lists and dicts are not differentiated: index the container "
                    f"instead (e.g. [{receiver}[k] for k in {receiver}] for .values() or "
                    f".items(), {receiver}[i] for an item)")
        code = self.parsed.function.__code__
        owner = self.parsed.function.__qualname__.split(".")[-2:-1]
        if code.co_argcount and receiver == code.co_varnames[0] and owner and \
                owner[0] != "<locals>":                 # self.predict(x) in a method
            call = f"{owner[0]}.{method}({receiver}, ...)"
        else:
            call = f"TheClass.{method}({receiver}, ...)"
        return (f"calls of methods are not differentiated (NumPy array methods with rules "
                f"are listed in docs/numpy.md); for a method of your own class, call it "
                f"through the class, {call}, or as a plain function of the object")

    def with_rule(self, statement, target, primal, args, keywords, node=None) -> Operation:
        node = node if node is not None else statement.value
        inputs = self.names(list(args) + [k.value for k in keywords])
        why = nondifferentiable_reason(primal)
        if why is not None:
            return Operation(statement, target, NONDIFF, callee=primal, why_constant=why)
        if primal is None:
            return Operation(statement, target, NONDIFF, callee=primal)
        rule = rule_for(primal)
        if rule is None and _differentiable_source(primal):
            arguments = self.bind_user_call(node, primal, args, keywords)
            return Operation(statement, target, CALL, inputs, arguments=arguments,
                             callee=primal)
        if rule is None:
            return Operation(statement, target, REFUSED, inputs, callee=primal,
                             problem=self.missing_rule(node, primal))
        arguments = self.bind(node, rule, args, keywords)
        return Operation(statement, target, RULE, inputs, rule, arguments, callee=primal)

    def missing_rule(self, node, primal) -> TransformError:
        what = describe_callable(primal)
        package = what.split(".")[0]
        library = package in _LIBRARY_MODULES or package == "scipy" or (
            getattr(primal, "__module__", None) or "").split(".")[0] in _LIBRARY_MODULES
        kind = "NumPy function" if package == "numpy" else \
            "library function" if library else "callable"
        source = "library source is not differentiated" if library else "no Python source"
        written = "np." + what[len("numpy."):] if package == "numpy" else what
        hint = _INSTEAD.get(_key(primal)) or \
            f"register a rule with @chainrule.adjoint({written})"
        if isinstance(primal, types.MethodType) and \
                isinstance(primal.__func__, types.FunctionType) and not library:
            # m.loss(x) with a global m: a rule would be keyed by this one bound method
            kind, source = "method", "calls of methods are not differentiated"
            owner = primal.__func__.__qualname__
            receiver = to_source(node.func.value).strip() if isinstance(
                node, gast.Call) and isinstance(node.func, gast.Attribute) else "obj"
            hint = (f"call it through its class, {owner}({receiver}, ...), or as a plain "
                    f"function of the object")
        return self.error(node, f"{kind} {what} has no gradient rule ({source})",
                          f"call of {what}", hint)

    def bind_user_call(self, node, function, args, keywords) -> dict[str, Any]:
        """Parameter -> atom for a call of a user function (defaults left to the function)."""
        signature = inspect.signature(function)
        for keyword in keywords:
            if keyword.arg is None:
                raise self.error(node, "**kwargs in a call is not supported", "**kwargs",
                                 "pass keyword arguments explicitly")
        try:
            bound = signature.bind(*args, **{k.arg: k.value for k in keywords})
        except TypeError as error:
            raise self.error(node, f"call of {function.__qualname__} does not match its "
                                   f"signature: {error}", f"call of {function.__qualname__}")
        arguments = {}
        for parameter, value in bound.arguments.items():
            kind = signature.parameters[parameter].kind
            if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                raise self.error(node, f"{function.__qualname__} takes *args/**kwargs, which "
                                       f"chainrule cannot differentiate through",
                                 f"call of {function.__qualname__}",
                                 "give the function named parameters")
            arguments[parameter] = value
        return arguments

    def bind(self, node, rule: Rule, args, keywords) -> dict[str, Any]:
        def where():            # only for an error (naming a callable takes a few lookups)
            return describe_callable(rule.primal)

        if len(args) > min(len(rule.params), rule.positional):
            raise self.error(node, f"{where()}() got {len(args)} positional arguments; "
                                   f"chainrule's rule takes "
                                   f"{', '.join(rule.params[:rule.positional])} by position",
                             f"call of {where()}")
        bound = dict(zip(rule.params, args))
        for keyword in keywords:
            if keyword.arg is None:
                raise self.error(node, "**kwargs in a call is not supported",
                                 "**kwargs", "pass keyword arguments explicitly")
            if keyword.arg == "out":
                raise self.error(node, f"{where()}(out=...) writes into an existing array, which "
                                       f"cannot be differentiated", "out= argument",
                                 "assign the result to a new name instead")
            if keyword.arg not in rule.params:
                raise self.error(node, f"{where()}() keyword '{keyword.arg}' is not supported "
                                       f"(supported: {', '.join(rule.params)})",
                                 f"keyword {keyword.arg}")
            bound[keyword.arg] = keyword.value
        for parameter in rule.params:
            if parameter not in bound:
                if parameter not in rule.defaults:
                    raise self.error(node, f"{where()}() is missing argument '{parameter}'",
                                     f"call of {where()}")
                bound[parameter] = const(rule.defaults[parameter])
        return bound


_IN_PLACE_WRITERS = {np.copyto, np.put, np.place, np.putmask, np.fill_diagonal,
                     np.put_along_axis, np.random.shuffle, random.shuffle, heapq.heappush,
                     heapq.heappop, heapq.heapify, heapq.heapreplace, heapq.heappushpop,
                     bisect.insort_left, bisect.insort_right, operator.setitem,
                     operator.delitem, operator.iand, operator.ior, setattr, delattr} | {
    getattr(np.ndarray, name_) for name_ in ("fill", "sort", "partition", "put", "resize",
                                             "setfield", "itemset", "byteswap", "setflags")
    if hasattr(np.ndarray, name_)} | {       # g = np.ndarray.fill; g(y, 0.0)
    function for name_, function in vars(operator).items()
    if name_.startswith("i") and name_[1:] in vars(operator) and callable(function)}  # iadd


# What to write instead of a builtin without a rule (a rule for it would not help).
_INSTEAD = {
    map: "use a comprehension ([f(v) for v in xs]) instead of map",
    filter: "use a comprehension ([v for v in xs if test(v)]) instead of filter",
    sorted: "use np.sort(np.asarray(xs)) (its gradient goes back to where each value came "
            "from) instead of sorted",
    zip: "use zip in the header of a for loop or comprehension ([f(a, b) for a, b in "
         "zip(xs, ys)]), or index both (xs[i], ys[i])",
    enumerate: "use enumerate in the header of a for loop or comprehension ([f(i, v) for i, v "
               "in enumerate(xs)])",
    reversed: "use a slice (xs[::-1]) or reversed in the header of a for loop",
    divmod: "use x // y and x % y",
    iter: "index the container (xs[0]), or loop over it",
    next: "index the container (xs[0]), or loop over it",
}


def _key(primal):
    try:
        hash(primal)
        return primal
    except TypeError:
        return None


def _writes_in_place(primal, func) -> bool:
    """Functions that write into an argument (``np.copyto``, ``np.add.at``,
    ``operator.iadd``, a generator's ``shuffle``)."""
    owner = getattr(primal, "__self__", None)
    if isinstance(func, gast.Attribute) and func.attr == "at" and isinstance(owner, np.ufunc):
        return True
    if getattr(primal, "__name__", "") == "shuffle" and isinstance(
            owner, (np.random.Generator, np.random.RandomState)):
        return True
    try:
        return primal in _IN_PLACE_WRITERS
    except TypeError:
        return False


# Functions that write into their argument unless told to copy: (position, keyword) of the
# flag. Only a literal True (or the default) is accepted.
_COPY_FLAGS = {np.nan_to_num: (1, "copy")}


def _not_copying(primal, call) -> bool:
    """``np.nan_to_num(x, copy=False)`` changes ``x`` in place."""
    try:
        flag = _COPY_FLAGS.get(primal)
    except TypeError:
        return False
    if flag is None:
        return False
    position, keyword = flag
    given = [k.value for k in call.keywords if k.arg == keyword] + \
        call.args[position:position + 1]
    return any(not (isinstance(value, gast.Constant) and value.value is True) for value in given)


def _bound_once(body: list) -> set[str]:
    """Locals assigned by exactly one statement (a loop's element names count as assigned
    twice: once per turn is not once)."""
    counts: dict[str, int] = {}
    for statement in simple_statements(body):
        if isinstance(statement, gast.Assign) and isinstance(statement.targets[0], gast.Name):
            counts[statement.targets[0].id] = counts.get(statement.targets[0].id, 0) + 1
        elif isinstance(statement, gast.For):
            for version, _ in statement.chainrule_elements:
                counts[version] = 2
    return {name_ for name_, count in counts.items() if count == 1}


def _is_data(value) -> bool:
    """Values whose subscript is an index into data (no gradient through the index)."""
    return isinstance(value, (np.ndarray, np.generic, list, tuple, dict, str, bytes, int, float,
                              complex, types.ModuleType)) or value is MISSING or value is None


def _differentiable_source(function) -> bool:
    if not isinstance(function, types.FunctionType):
        return False
    module = (getattr(function, "__module__", None) or "").split(".")[0]
    return module not in _LIBRARY_MODULES


def _root(node):
    while isinstance(node, (gast.Attribute, gast.Subscript, gast.Call)):
        node = node.value if not isinstance(node, gast.Call) else node.func
    return node


def simple_statements(statements: list):
    """Every statement that is not a block, at any depth, in program order (a loop's
    element assignments come first in its body; a while loop's test before its body)."""
    for statement in statements:
        if isinstance(statement, gast.If):
            yield from simple_statements(statement.body)
            yield from simple_statements(statement.orelse)
        elif isinstance(statement, (gast.For, gast.While)):
            yield statement                          # stands for its element assignments
            yield from simple_statements(getattr(statement, "chainrule_test", []))
            yield from simple_statements(statement.body)
        else:
            yield statement


def classify(function: NormalFunction, locals_: set[str],
             parsed: ParsedFunction | None = None) -> dict[int, list[Operation]]:
    """Operations of every statement, keyed by ``id(statement)`` (a ``for`` loop has one
    operation per target that takes elements from a sequence); names are resolved through
    ``parsed`` (by default the normal form's own)."""
    classifier = Classifier(function, locals_, parsed)
    operations = {}
    for statement in simple_statements(function.body):
        if isinstance(statement, gast.For):
            operations[id(statement)] = [
                Operation(statement, version, ITERATE, classifier.names([source[0]]),
                          arguments={"sequence": source[0], "reversed": source[1]})
                for version, source in statement.chainrule_elements if source is not None]
        elif isinstance(statement, gast.While):
            operations[id(statement)] = []
        else:
            operations[id(statement)] = [classifier.classify(statement)]
    return operations
