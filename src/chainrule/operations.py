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
from .rules import is_nondifferentiable, rule_for
from .runtime import max_of, min_of
from .rules.registry import Rule, attribute_function, describe_callable, method_function
from .syntax import const, make

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

COPY, CONSTANT, RULE, INDEX, PACK, NONDIFF, REFUSED, ITERATE, CALL, STORE = (
    "copy", "constant", "rule", "index", "pack", "nondiff", "refused", "iterate", "call",
    "store")

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


def local_name(atom, locals_: set[str]) -> str | None:
    return atom.id if isinstance(atom, gast.Name) and atom.id in locals_ else None


class Classifier:
    def __init__(self, function: NormalFunction, locals_: set[str],
                 parsed: ParsedFunction | None = None):
        self.function = function
        self.parsed = parsed or function.parsed
        self.locals = locals_

    def error(self, node, message, construct, hint=None) -> TransformError:
        return TransformError(f"cannot differentiate {self.parsed.name}: {message}",
                              construct=construct, hint=hint,
                              origin=self.parsed.origin(node))

    def names(self, atoms) -> list[str]:
        found = [local_name(a, self.locals) for a in atoms]
        return [n for n in found if n is not None]

    def classify(self, statement) -> Operation:
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
                             arguments={"index": store.slice, "value": statement.value})
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
        if isinstance(value, gast.Name):
            inputs = self.names([value])
            return Operation(statement, target, COPY if inputs else CONSTANT, inputs)
        if isinstance(value, gast.Constant) or (isinstance(value, gast.Attribute)
                                                 and not self.names([_root(value)])):
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
            return Operation(statement, target, NONDIFF)
        if isinstance(value, gast.Call):
            return self.call(statement, target, value)
        if isinstance(value, gast.Attribute):
            return self.attribute(statement, target, value)
        if isinstance(value, gast.Subscript):
            return Operation(statement, target, INDEX, self.names([value.value]))
        if isinstance(value, (gast.Tuple, gast.List)):
            return Operation(statement, target, PACK, self.names(value.elts))
        if isinstance(value, gast.Dict):
            return Operation(statement, target, PACK, self.names(value.values))
        raise self.error(value, f"{type(value).__name__} is not supported",
                         type(value).__name__)

    def opaque(self, statement, target, value) -> Operation:
        # The normal form keeps whole only and/or/not that yield True/False: no gradient.
        return Operation(statement, target, NONDIFF)

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
                                   [func.value] + args + [k.value for k in keywords])
            packed = PACKED_METHODS.get(func.attr)
            if packed and len(args) > 1:
                args = [make(gast.Tuple, elts=args, ctx=gast.Load())]
            return self.with_rule(statement, target, primal, [func.value] + args, keywords,
                                  node=call)
        primal = resolve_dotted(self.parsed, func, self.locals)
        if _writes_in_place(primal, func):
            raise self.error(call, f"{describe_callable(primal)} writes into an existing array, "
                                   f"which cannot be differentiated", "in-place NumPy write",
                             "build a new array instead (e.g. np.where, or y = y.copy(); "
                             "y[index] = value)")
        if (primal is max or primal is min) and len(args) == 1 and not keywords:
            primal = max_of if primal is max else min_of      # max(xs): the iterable form
        if primal is MISSING:
            if self.names([_root(func)]):
                return self.refuse(statement, target, call, "a call of a local value",
                                   [func] + args + [k.value for k in keywords])
            raise self.error(call, f"name '{gast.dump(func) if not isinstance(func, gast.Name) else func.id}' "
                             f"is not defined", "undefined name")
        return self.with_rule(statement, target, primal, args, keywords, node=call)

    def attribute(self, statement, target, value) -> Operation:
        if value.attr in CONSTANT_ATTRIBUTES:
            return Operation(statement, target, NONDIFF)
        primal = attribute_function(value.attr)
        if primal is None:
            return self.refuse(statement, target, value, f"attribute .{value.attr}",
                               [value.value])
        return self.with_rule(statement, target, primal, [value.value], [], node=value)

    def refuse(self, statement, target, node, what, atoms) -> Operation:
        problem = self.error(node, f"{what} has no gradient rule", what,
                             "register one with @chainrule.adjoint")
        return Operation(statement, target, REFUSED, self.names(atoms), problem=problem)

    def with_rule(self, statement, target, primal, args, keywords, node=None) -> Operation:
        node = node if node is not None else statement.value
        inputs = self.names(list(args) + [k.value for k in keywords])
        if primal is None or is_nondifferentiable(primal):
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
        kind = "NumPy function" if isinstance(primal, np.ufunc) or what.startswith("numpy") \
            else "callable"
        library = (getattr(primal, "__module__", None) or "").split(".")[0] in _LIBRARY_MODULES
        source = "library source is not differentiated" if library else "no Python source"
        return self.error(node, f"{kind} {what} has no gradient rule ({source})",
                          f"call of {what}",
                          f"register a rule with @chainrule.adjoint({what.split('.')[-1]})")

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
        where = describe_callable(rule.primal)
        if len(args) > len(rule.params):
            raise self.error(node, f"{where}() got {len(args)} positional arguments; "
                                   f"chainrule's rule takes {', '.join(rule.params)}",
                             f"call of {where}")
        bound = dict(zip(rule.params, args))
        for keyword in keywords:
            if keyword.arg is None:
                raise self.error(node, "**kwargs in a call is not supported",
                                 "**kwargs", "pass keyword arguments explicitly")
            if keyword.arg == "out":
                raise self.error(node, f"{where}(out=...) writes into an existing array, which "
                                       f"cannot be differentiated", "out= argument",
                                 "assign the result to a new name instead")
            if keyword.arg not in rule.params:
                raise self.error(node, f"{where}() keyword '{keyword.arg}' is not supported "
                                       f"(supported: {', '.join(rule.params)})",
                                 f"keyword {keyword.arg}")
            bound[keyword.arg] = keyword.value
        for parameter in rule.params:
            if parameter not in bound:
                if parameter not in rule.defaults:
                    raise self.error(node, f"{where}() is missing argument '{parameter}'",
                                     f"call of {where}")
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
