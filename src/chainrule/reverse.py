"""The chain rule: a primal sweep, then adjoint statements in reverse.

Input: a function in normal form (one operation per statement, every local assigned once).
Output: the source of the gradient function, plus the helper objects it needs.

* Only active statements (see :mod:`chainrule.activity`) get adjoint code.
* The adjoint of ``x`` is ``x_bar``; the seed is ``out_bar``. A first contribution is an
  assignment (or, when it is just another adjoint, no statement at all: the name is reused);
  later ones are ``x_bar = x_bar + ...``, never ``+=`` (an adjoint may alias another array).
* Because every local is assigned once, the reverse sweep reads earlier values directly:
  straight-line code saves nothing.
* ``unbroadcast`` stays only where an operand's shape may differ from the result's: argument
  kinds (Python scalar or not) are known when the gradient is specialized for a call.
"""

from __future__ import annotations

import copy
import math
import operator
import types
from dataclasses import dataclass, field

import gast
import numpy as np

from . import runtime
from .activity import Activity, analyse
from .errors import TransformError
from .inline import inline
from .normalize import NormalFunction, assigned_names
from .operations import (COPY, INDEX, PACK, REFUSED, RULE, Operation, classify, local_name)
from .parsing import resolve_dotted, resolve_global
from .syntax import const, make, name, render, to_source

SCALAR, NUMERIC, CONTAINER, UNKNOWN = "scalar", "numeric", "container", "unknown"

_SCALAR_PRESERVING = {operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
                      operator.neg, operator.pos, operator.mod, abs, float, min, max, pow}


@dataclass
class Generated:
    name: str                                  # e.g. "f_grad"
    source: str                                # the generated function definition
    helpers: dict[str, object] = field(default_factory=dict)   # closure name -> object


def kind_of_value(value) -> str:
    """The kind of an argument value, used to specialize generated code."""
    kind = type(value)
    if kind is float or kind is int or kind is bool:
        return SCALAR
    if kind is tuple or kind is list:
        return CONTAINER
    return NUMERIC


class ReverseBuilder:
    def __init__(self, function: NormalFunction, wrt: list[str], kinds: dict[str, str],
                 mode: str):
        self.function = function
        self.parsed = function.parsed
        self.namer = copy.deepcopy(function.namer)   # each specialization names afresh
        self.wrt = wrt
        self.mode = mode                    # "grad" or "value_and_grad"
        self.locals = assigned_names(self.parsed.node) | set(function.params) | {
            n.id for s in function.body for n in gast.walk(s)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        self.kinds = dict(kinds)
        self.adjoints: dict[str, str] = {}  # variable -> name holding its adjoint now
        self.helpers: dict[str, object] = {}
        self.lines: list = []               # gast statements and raw source lines
        self._comment_for = None
        self._pending_comment: str | None = None

    # -- helpers handed to the generated code -----------------------------------------------

    def helper(self, preferred: str, value) -> str:
        """The name under which the generated code reaches ``value`` (via the closure)."""
        for existing, obj in self.helpers.items():
            if obj is value:
                return existing
        identifier = preferred
        if identifier in self.namer.taken:
            shared = (identifier not in self.locals and
                      resolve_global(self.parsed, identifier) is value)
            if not shared:
                identifier = self.namer.fresh(preferred)
        self.namer.reserve(identifier)
        self.helpers[identifier] = value
        return identifier

    # -- kinds ------------------------------------------------------------------------------

    def atom_kind(self, atom) -> str:
        if isinstance(atom, gast.Constant):
            value = atom.value
            return SCALAR if isinstance(value, (int, float)) and not isinstance(value, bool) \
                else UNKNOWN
        if isinstance(atom, gast.Name) and atom.id in self.locals:
            return self.kinds.get(atom.id, UNKNOWN)
        if isinstance(atom, gast.Attribute) and isinstance(
                resolve_dotted(self.parsed, atom.value, self.locals), types.ModuleType):
            # A module constant such as np.pi or math.e.
            value = resolve_dotted(self.parsed, atom, self.locals)
            if type(value) is float or type(value) is int:
                return SCALAR
        return UNKNOWN

    def infer_kind(self, op: Operation) -> str:
        value = op.statement.value
        if op.kind == COPY:
            return self.kinds.get(op.inputs[0], UNKNOWN)
        if isinstance(value, gast.Constant):
            return self.atom_kind(value)
        if op.kind == PACK:
            return CONTAINER
        if op.kind != RULE:
            return UNKNOWN
        atoms = list(op.arguments.values())
        operand_kinds = {self.atom_kind(a) for a in atoms
                         if not (isinstance(a, gast.Constant) and not
                                 isinstance(a.value, (int, float)))}
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

    # -- emission ---------------------------------------------------------------------------

    def emit(self, item) -> None:
        """Append a statement (gast node) or a raw line of source."""
        if self._pending_comment:
            self.lines.append(self._pending_comment)
            self._pending_comment = None
        self.lines.append(item)

    def comment(self, statement) -> None:
        """Head the next emitted line with ``# line N: <user statement>`` (once per group; a
        statement that produces no code gets no comment)."""
        user = getattr(statement, "user_statement", None)
        if user is None or user is self._comment_for:
            return
        self._comment_for = user
        origin = self.parsed.origin(user)
        text = self.parsed.source_map.statement_text(user)
        self._pending_comment = f"# line {origin.lineno}: {text}" if origin else None

    def emit_statement(self, node) -> None:
        self.emit(node)

    def contribute(self, variable: str, expression) -> None:
        """Add ``expression`` to the adjoint of ``variable``."""
        if variable not in self.locals or not self.activity.active(variable):
            return
        current = self.adjoints.get(variable)
        if current is None and isinstance(expression, gast.Name):
            self.adjoints[variable] = expression.id        # reuse, no copy needed
            return
        own = self.namer.adjoint(variable)
        if current is not None:
            if self.kinds.get(variable) in (SCALAR, NUMERIC):
                expression = make(gast.BinOp, left=name(current), op=gast.Add(),
                                  right=expression)
            else:
                accumulate = self.helper("accumulate", runtime.accumulate)
                expression = make(gast.Call, func=name(accumulate),
                                  args=[name(current), expression], keywords=[])
        self.emit_statement(make(gast.Assign, targets=[name(own, store=True)],
                                 value=expression))
        self.adjoints[variable] = own

    # -- the sweeps -------------------------------------------------------------------------

    def build(self) -> Generated:
        function = self.function
        self.operations = classify(function, self.locals)
        for op in self.operations:
            if op.target:
                self.kinds[op.target] = self.infer_kind(op)
        result = local_name(function.result, self.locals)
        self.activity: Activity = analyse(self.operations, self.wrt, result)
        for op in self.operations:
            if op.kind == REFUSED and op.target and self.activity.active(op.target):
                raise op.problem
            shared = getattr(op.statement, "chainrule_shared_with", None)
            if shared and self.kinds.get(op.target) != SCALAR:
                user = op.statement.user_statement
                raise TransformError(
                    f"cannot differentiate {self.parsed.name}: in-place update of "
                    f"'{user.target.id}', which names the same array as "
                    f"{', '.join(repr(n) for n in shared)}", construct="in-place update of a "
                    f"shared array", origin=self.parsed.origin(user),
                    hint=f"write {user.target.id} = {user.target.id} <op> ... to make a new "
                         f"array, or copy first ({user.target.id} = {shared[0]}.copy())")

        suffix = "grad" if self.mode == "grad" else "value_and_grad"
        generated_name = self.namer.fresh(f"{self.parsed.name.replace('<lambda>', 'lambda')}"
                                          f"_{suffix}")
        header = f"def {generated_name}({self.signature()}):"

        for statement in function.body:
            self.comment(statement)
            self.emit_statement(statement)
        self._comment_for = None
        returned = to_source(function.result)
        out = returned if result else None
        if result is None:
            out = self.namer.fresh("out")
            self.emit(f"{out} = {returned}")
        seed = self.namer.fresh("out_bar")
        if self.mode in ("grad", "value_and_grad"):
            scalar_seed = self.helper("scalar_seed", runtime.scalar_seed)
            self.emit(f"{seed} = {scalar_seed}({out}, {self.parsed.name!r})")
        if result and self.activity.active(result):
            self.adjoints[result] = seed
            self.emit("# reverse sweep: the chain rule, last statement first")
            for op in reversed(self.operations):
                self.reverse(op)
        gradients = [self.adjoints.get(p, "None") for p in self.wrt]
        grads_text = ", ".join(gradients) if len(gradients) != 1 else gradients[0]
        if self.mode == "grad":
            self.emit(f"return {grads_text}")
        else:
            self.emit(f"return {out}, {'(' + grads_text + ')' if len(gradients) > 1 else grads_text}")
        body = "\n".join("    " + line for line in render(self.lines).splitlines())
        source = f"{header}\n{body}\n"
        return Generated(generated_name, source, self.helpers)

    def signature(self) -> str:
        # Every parameter positional: the wrapper binds the call (defaults included) and
        # passes all arguments in order.
        return ", ".join(self.function.params)

    def reverse(self, op: Operation) -> None:
        target = op.target
        if target is None or not self.activity.active(target) or target not in self.adjoints:
            return
        adjoint = self.adjoints[target]
        self.comment(op.statement)
        value = op.statement.value
        if op.kind == COPY:
            self.contribute(op.inputs[0], name(adjoint))
        elif op.kind == PACK:
            for position, element in enumerate(value.elts):
                variable = local_name(element, self.locals)
                if variable:
                    self.contribute(variable, make(gast.Subscript, value=name(adjoint),
                                                   slice=const(position), ctx=gast.Load()))
        elif op.kind == INDEX:
            index_adjoint = self.helper("index_adjoint", runtime.index_adjoint)
            self.contribute(op.inputs[0], make(
                gast.Call, func=name(index_adjoint),
                args=[name(adjoint), value.value, self.index_expression(value.slice)],
                keywords=[]))
        elif op.kind == RULE:
            self.reverse_rule(op, adjoint)

    def name_cotangents_after_variables(self, op: Operation, inlined) -> None:
        """A rule local that is returned as the first cotangent of a variable takes the
        variable's adjoint name (``t10_bar = ...`` rather than ``grad = ...``)."""
        assigned_once = {}
        for statement in inlined.statements:
            if isinstance(statement, gast.Assign) and isinstance(statement.targets[0], gast.Name):
                local = statement.targets[0].id
                assigned_once[local] = local not in assigned_once
        renames = {}
        for parameter, cotangent in inlined.cotangents.items():
            variable = local_name(op.arguments[parameter], self.locals)
            if (isinstance(cotangent, gast.Name) and assigned_once.get(cotangent.id)
                    and variable not in self.adjoints and cotangent.id not in renames):
                renames[cotangent.id] = self.namer.adjoint(variable)
        if not renames:
            return
        for node in inlined.statements + list(inlined.cotangents.values()):
            for inner in gast.walk(node):
                if isinstance(inner, gast.Name) and inner.id in renames:
                    inner.id = renames[inner.id]

    def index_expression(self, index):
        """An index as an ordinary expression (slices become ``slice(...)`` calls)."""
        if isinstance(index, gast.Slice):
            parts = [index.lower, index.upper, index.step]
            return make(gast.Call, func=name(self.helper("slice", slice)),
                        args=[p if p is not None else const(None) for p in parts], keywords=[])
        if isinstance(index, gast.Tuple):
            return make(gast.Tuple, elts=[self.index_expression(e) for e in index.elts],
                        ctx=gast.Load())
        return index

    def reverse_rule(self, op: Operation, adjoint: str) -> None:
        wanted = {parameter for parameter, atom in op.arguments.items()
                  if (variable := local_name(atom, self.locals)) and
                  self.activity.active(variable)}
        if not wanted:
            return

        def elide(parameter: str) -> bool:
            others = [atom for other, atom in op.arguments.items() if other != parameter]
            return all(self.atom_kind(atom) == SCALAR or (
                isinstance(atom, gast.Constant) and not isinstance(atom.value, (int, float)))
                for atom in others)

        inlined = inline(op.rule, op.arguments, adjoint, name(op.target), wanted,
                         self.namer.fresh, self.helper, elide)
        self.name_cotangents_after_variables(op, inlined)
        for statement in inlined.statements:
            self.emit_statement(statement)
        for parameter in op.rule.params:
            if parameter in inlined.cotangents:
                variable = local_name(op.arguments[parameter], self.locals)
                self.contribute(variable, inlined.cotangents[parameter])


def build_gradient(function: NormalFunction, wrt: list[str], kinds: dict[str, str],
                   mode: str) -> Generated:
    return ReverseBuilder(function, wrt, kinds, mode).build()


