"""What kind of value each variable holds, as far as the generated code cares.

``scalar`` (a Python number), ``numeric`` (a NumPy array or scalar), ``container`` (a tuple or
list), ``unknown``. Argument kinds come from the call being specialized; the rest is inferred.
The kinds decide where ``unbroadcast`` can be dropped (an operation on Python scalars cannot
broadcast) and how adjoints are added (``+`` for numbers and arrays, ``accumulate`` for
containers and the unknown).
"""

from __future__ import annotations

import math
import operator
import types

import gast
import numpy as np

from .operations import COPY, ITERATE, PACK, RULE, STORE, Operation
from .parsing import ParsedFunction, resolve_dotted, resolve_global

SCALAR, NUMERIC, CONTAINER, UNKNOWN = "scalar", "numeric", "container", "unknown"

_SCALAR_PRESERVING = {operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
                      operator.neg, operator.pos, operator.mod, abs, float, min, max, pow}


def kind_of_value(value) -> str:
    """The kind of an argument value, used to specialize generated code."""
    kind = type(value)
    if kind is float or kind is int or kind is bool:
        return SCALAR
    if kind is tuple or kind is list:
        return CONTAINER
    return NUMERIC


def join(a: str | None, b: str | None) -> str | None:
    if a is None or a == b:
        return b
    if b is None:
        return a
    if {a, b} == {SCALAR, NUMERIC}:
        return NUMERIC
    return UNKNOWN


class Kinds:
    def __init__(self, parsed: ParsedFunction, locals_: set[str], arguments: dict[str, str],
                 depend_on_number=None):
        self.parsed = parsed
        self.locals = locals_
        self.of: dict[str, str | None] = dict(arguments)
        # Called with a global name the code treats as a Python number (to be rechecked).
        self.depend_on_number = depend_on_number

    def infer(self, operations: list[Operation]) -> None:
        """Kinds of every assigned variable; repeated until stable (loop-carried variables
        join the kinds of all their assignments)."""
        changed = True
        while changed:
            changed = False
            for op in operations:
                if not op.target:
                    continue
                new = join(self.of.get(op.target), self.infer_one(op))
                if new != self.of.get(op.target):
                    self.of[op.target] = new
                    changed = True

    def get(self, variable: str) -> str:
        return self.of.get(variable) or UNKNOWN

    def atom(self, atom) -> str | None:
        if isinstance(atom, gast.Constant):
            value = atom.value
            return SCALAR if isinstance(value, (int, float)) and not isinstance(value, bool) \
                else UNKNOWN
        if isinstance(atom, gast.Name) and atom.id in self.locals:
            return self.of.get(atom.id)
        if isinstance(atom, gast.Name) and self.depend_on_number is not None:
            value = resolve_global(self.parsed, atom.id)
            if type(value) is float or type(value) is int:
                self.depend_on_number(atom.id)    # a module constant such as DT = 0.01
                return SCALAR
        if isinstance(atom, gast.Attribute) and isinstance(
                resolve_dotted(self.parsed, atom.value, self.locals), types.ModuleType):
            # A module constant such as np.pi or math.e.
            value = resolve_dotted(self.parsed, atom, self.locals)
            if type(value) is float or type(value) is int:
                return SCALAR
        return UNKNOWN

    def infer_one(self, op: Operation) -> str | None:
        if op.kind == ITERATE:
            return UNKNOWN
        if op.kind == STORE:
            return None                       # storing into a container keeps its kind
        value = op.statement.value
        if op.kind == COPY:
            return self.of.get(op.inputs[0])
        if isinstance(value, gast.Constant):
            return self.atom(value)
        if op.kind == PACK:
            return CONTAINER
        if op.kind == RULE and op.callee is operator.add and CONTAINER in {
                self.atom(a) for a in op.arguments.values()}:
            return CONTAINER                  # list concatenation (xs + [v])
        if op.kind != RULE:
            return UNKNOWN
        operand_kinds = {self.atom(a) for a in op.arguments.values()
                         if not (isinstance(a, gast.Constant) and not
                                 isinstance(a.value, (int, float)))}
        if None in operand_kinds:
            return None                      # not known yet; a later pass decides
        callee = op.callee
        if getattr(callee, "__module__", None) == "math" or callee is math.__dict__.get(
                getattr(callee, "__name__", ""), None):
            return SCALAR if operand_kinds <= {SCALAR} else UNKNOWN
        if callee in _SCALAR_PRESERVING:
            if operand_kinds <= {SCALAR}:
                return SCALAR
            return NUMERIC if operand_kinds <= {SCALAR, NUMERIC} else UNKNOWN
        if callee is operator.matmul or isinstance(callee, np.ufunc):
            return NUMERIC
        return UNKNOWN
