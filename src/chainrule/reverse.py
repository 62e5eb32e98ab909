"""The chain rule: adjoint statements in reverse, for straight-line code, branches and loops.

* Only active statements (see :mod:`chainrule.activity`) get adjoint code.
* The adjoint of ``x`` is ``x_bar``; the seed is ``out_bar``. A first contribution is an
  assignment (or, when it is just another adjoint, no statement at all: the name is reused);
  later ones are ``x_bar = x_bar + ...``, never ``+=`` (an adjoint may alias another array).
* Every local is assigned once outside loops, so straight-line code and branches read earlier
  values directly and save nothing. After an ``if``, adjoints that differ between the branches
  are brought to one name (a zero where a branch contributed nothing).
* A loop's reverse runs its iterations backwards. What it needs from the primal is decided
  after its adjoint code is written (*to-be-recorded*): the values it reads that the loop
  overwrites, one stack each, pushed once per iteration and walked backwards by the reverse
  loop (``for y in reversed(y_stack)``; popped, in loops nested in loops). Loop-invariant
  values are read directly.
  Adjoints that live across iterations (loop-carried and outer variables) stay in their own
  name for the whole loop.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import inspect
import operator
from dataclasses import dataclass, field

import gast
import numpy as np

from . import runtime
from .activity import Activity
from .batching import sum_products_after
from .element_updates import update_in_place
from .calls import vjp_of
from .dtypes import UNKNOWN as UNKNOWN_DTYPE, stores_keep_slope, truncates
from .inline import inline, rewrite
from .loop_rows import take_rows_from_arrays
from .kinds import CONTAINER, NUMERIC, SCALAR, UNKNOWN, Kinds, kind_of_value
from .operations import (CALL, CONSTANT, COPY, INDEX, ITERATE, JOIN, PACK, RULE, STORE,
                         Operation, local_name)
from .scalar_cotangents import ScalarCotangents
from .shapes import Shapes, broadcasts
from .syntax import assign, clone, const, make, name, names, parse


@dataclass
class LoopPlan:
    """What the primal sweep must record for one loop's reverse."""
    count: str                              # name holding the number of iterations
    counted: bool                           # counted per iteration (else taken from a len)
    count_read: bool = True                 # the reverse reads the count (else: not made)
    saved_at_start: dict[str, str] = field(default_factory=dict)   # header -> its stack
    saved_at_end: dict[str, str] = field(default_factory=dict)     # value -> its stack
    preset: list[str] = field(default_factory=list)   # saved names bound only conditionally
    indices: dict[str, object] = field(default_factory=dict)  # row numbers, bound before


# (dimensions of x, of y) -> the cotangents of x and y in ``x @ y`` for a cotangent ``g``
# of the product; None keeps the general helper (an outer product, which loops may sum).
_PRODUCT_COTANGENTS = {(2, 1): (None, "g @ x"), (1, 2): ("y @ g", None),
                       (2, 2): ("g @ y.T", "x.T @ g"), (1, 1): ("g * y", "g * x")}
_MATRIX_COTANGENTS = {"g @ y.T", "x.T @ g"}


@functools.lru_cache(maxsize=None)
def _product_form(form: str):
    return parse(form).body[0].value


class ReverseSweep:
    def __init__(self, builder, operations: dict, activity: Activity, kinds: Kinds,
                 shapes: Shapes | None = None):
        self.builder = builder                 # naming, helpers, comments
        self.namer = builder.namer
        self.locals = builder.locals
        self.operations = operations
        self.activity = activity
        self.kinds = kinds
        self.shapes = shapes                   # known array shapes, if specialized on them
        # full reductions' cotangents, kept scalar where NumPy broadcasts them anyway
        self.scalars = ScalarCotangents(shapes) if shapes is not None else None
        self.adjoints: dict[str, str | None] = {}
        self.materialized: set[str] = set()     # variables whose adjoint lives across turns
        self.mutable: set[str] = set()          # adjoint names reassigned in later turns
        self.plans: dict[int, LoopPlan] = {}
        self.loop_depth = 0                     # reverse loops being written around this point
        self.out: list = []
        self.occurrences = _occurrences(builder.function.body, operations,
                                        builder.function.params, builder.function.result)
        # Containers the reverse sweep may read: their stores must be undone on the way back.
        self.restore = {name_ for ops in operations.values() for op in ops
                        if op.target and activity.active(op.target)
                        for name_ in list(op.inputs) + [a.id for a in op.arguments.values()
                                                        if isinstance(a, gast.Name)]}
        self.restore |= {v for v in self.locals if activity.active(v)}
        # A store into an array the sweep reads through a view (`x = xs[1]` read by `W @ x`)
        # is undone too: the view would show the new elements.
        self.restore |= {op.target for ops in operations.values() for op in ops
                         if op.kind == STORE and any(
                             view in self.restore for view, _ in getattr(
                                 op.statement, "chainrule_changes", (None,) * 4)[3] or ())}

    # -- output -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def into(self, block: list):
        outer = self.out
        self.out = block
        with self.builder.comment_scope():
            yield block
        self.out = outer

    def emit(self, item) -> None:
        self.builder.emit_into(self.out, item)

    # -- adjoints ---------------------------------------------------------------------------

    def active(self, variable: str | None) -> bool:
        return bool(variable) and variable in self.locals and self.activity.active(variable)

    def zero(self, variable: str):
        if self.kinds.get(variable) == SCALAR:
            return const(0.0)
        return make(gast.Call, func=name(self.builder.helper("zero_cotangent",
                                                            runtime.zero_cotangent)),
                    args=[name(variable)], keywords=[])

    def contribute(self, variable: str | None, expression) -> None:
        """Add ``expression`` to the adjoint of ``variable``."""
        if not self.active(variable):
            return
        current = self.adjoints.get(variable)
        own = self.namer.adjoint(variable)
        if current is None:
            if isinstance(expression, gast.Name) and variable not in self.materialized \
                    and expression.id not in self.mutable:
                self.adjoints[variable] = expression.id        # reuse, no copy needed
                return
        elif self.kinds.get(variable) in (SCALAR, NUMERIC):
            expression = make(gast.BinOp, left=name(current), op=gast.Add(), right=expression)
        else:
            accumulate = self.builder.helper("accumulate", runtime.accumulate)
            expression = make(gast.Call, func=name(accumulate),
                              args=[name(current), expression], keywords=[])
        self.assign_adjoint(own, expression)
        self.adjoints[variable] = own

    def assign_adjoint(self, adjoint: str, expression) -> None:
        self.emit(assign(adjoint, expression))
        if self.scalars:
            self.scalars.forget(adjoint)        # it holds another value from here on

    def consume(self, variable: str) -> None:
        """The definition of ``variable`` has been differentiated: earlier values of it
        (loop-carried ones) start from no adjoint."""
        if variable in self.materialized:
            self.adjoints[variable] = None
        else:
            self.adjoints.pop(variable, None)

    def settle(self, variable: str, into: list) -> None:
        """Make the adjoint of a materialized variable sit in its own name at the end of
        ``into`` (a branch or a loop body)."""
        own = self.namer.adjoint(variable)
        current = self.adjoints.get(variable)
        if current != own:
            self.builder.emit_into(into, assign(own, name(current) if current
                                               else self.zero(variable)))
            if self.scalars:
                self.scalars.forget(own)
        self.adjoints[variable] = own

    # -- blocks -----------------------------------------------------------------------------

    def block(self, statements: list) -> None:
        for statement in reversed(statements):
            if isinstance(statement, gast.If):
                self.branch(statement)
            elif isinstance(statement, (gast.For, gast.While)):
                self.loop(statement)
            elif isinstance(statement, gast.Assign):
                for op in self.operations[id(statement)]:
                    self.operation(op)

    def branch(self, node: gast.If) -> None:
        before = dict(self.adjoints)
        states, blocks = [], []
        for statements in (node.body, node.orelse):
            self.adjoints = dict(before)
            with self.into([]) as block:
                self.block(statements)
            states.append(self.adjoints)
            blocks.append(block)
        merged = {}
        for variable in set(states[0]) | set(states[1]):
            first, second = states[0].get(variable), states[1].get(variable)
            if first == second:
                merged[variable] = first
                continue
            for state, block in zip(states, blocks):
                self.adjoints = state
                self.settle(variable, block)
            merged[variable] = self.namer.adjoint(variable)
        self.adjoints = merged
        body, orelse = blocks
        test = clone(node.test)
        if not any(not isinstance(item, str) for item in body):
            if not any(not isinstance(item, str) for item in orelse):
                return
            test, body, orelse = make(gast.UnaryOp, op=gast.Not(), operand=test), orelse, []
        self.builder.comment(node)
        self.emit(make(gast.If, test=test, body=body, orelse=orelse))

    def loop(self, node) -> None:
        carried = [v for v in sorted(self.occurrences.crossing(node)) if self.active(v)]
        newly = [v for v in carried if v not in self.materialized]
        self.builder.comment(node)
        zero_before = {self.namer.adjoint(v) for v in carried if self.adjoints.get(v) is None}
        settled: list = []
        for variable in carried:
            # In its own name before the loop too: the loop may run no iteration.
            self.settle(variable, settled)
        for variable in newly:
            self.materialized.add(variable)
            self.mutable.add(self.namer.adjoint(variable))
        index = self.namer.fresh("k")
        self.loop_depth += 1
        with self.into([]) as body:
            self.block(node.body)
            self.block(getattr(node, "chainrule_test", []))
            for op in self.operations[id(node)]:
                self.operation(op, index)
            for variable in carried:
                self.settle(variable, body)
        self.loop_depth -= 1
        for variable in newly:
            self.materialized.discard(variable)
            self.mutable.discard(self.namer.adjoint(variable))
        if not any(not isinstance(item, str) for item in body):
            self.out.extend(settled)
            return                                   # nothing to differentiate in the loop
        plan = self.plan(node, body)
        reverse = self.reverse_loop(plan, index, body)
        before, after, summed_alone = sum_products_after(
            reverse, self.builder.helpers, self.builder.helper, self.namer.fresh, zero_before)
        # An adjoint that is only the sum after the loop needs no zero before it.
        settled = [item for item in settled if not (
            isinstance(item, gast.Assign) and item.targets[0].id in summed_alone)]
        if after and self.shapes is not None and take_rows_from_arrays(
                node, plan, reverse, after, _reads(reverse.body), self.builder.function.body,
                self.locals, self.shapes.rank, self.builder.length_of, self.namer.fresh,
                self.builder.helper):
            self.builder.uses_shapes = True     # rows of arrays of two or more dimensions
        before += update_in_place(reverse, [self.namer.adjoint(v) for v in carried],
                                  self.builder.helpers, self.builder.helper)
        stacks = {**plan.saved_at_start, **plan.saved_at_end}
        reverse.chainrule_external_reads = (_reads([reverse]) - set(stacks)) | (
            {plan.count} if plan.count_read else set())
        self.out.extend(settled)
        for item in before + [reverse] + after:
            self.emit(item)

    def reverse_loop(self, plan: LoopPlan, index: str, body: list):
        """The loop running ``body`` once per primal iteration, last iteration first, with
        the values the primal recorded bound at the start of each turn.

        Every stack gets exactly one push per primal iteration, so an outermost loop walks
        its stacks backwards (``for y in reversed(y_stack)``) and needs no count. A nested
        loop runs once per turn of its outer loops, over a part of each stack: it pops, and
        reads its count of iterations from its own stack.
        """
        stacks = {**plan.saved_at_start, **plan.saved_at_end}
        uses_index = any(isinstance(n, gast.Name) and n.id == index
                         for item in body if not isinstance(item, str)
                         for n in gast.walk(item))
        range_ = make(gast.Call, func=name(self.builder.helper("range", range)),
                      args=[name(plan.count)], keywords=[])
        if uses_index:
            range_ = self.reversed_(range_)
        if self.loop_depth > 0 or not stacks:
            pops = [assign(variable, make(gast.Call, func=make(
                gast.Attribute, value=name(stack), attr="pop", ctx=gast.Load()), args=[],
                keywords=[])) for variable, stack in stacks.items()]
            return make(gast.For, target=name(index if uses_index else "_", store=True),
                        iter=range_, body=pops + body, orelse=[])
        plan.count_read = uses_index
        targets = ([index] if uses_index else []) + list(stacks)
        sequences = ([range_] if uses_index else []) + [
            self.reversed_(name(stack)) for stack in stacks.values()]
        if len(targets) == 1:
            target, iterable = name(targets[0], store=True), sequences[0]
        else:
            target = make(gast.Tuple, elts=[name(t, store=True) for t in targets],
                          ctx=gast.Store())
            iterable = make(gast.Call, func=name(self.builder.helper("zip", zip)),
                            args=sequences, keywords=[])
        return make(gast.For, target=target, iter=iterable, body=body, orelse=[])

    def reversed_(self, sequence):
        return make(gast.Call, func=name(self.builder.helper("reversed", reversed)),
                    args=[sequence], keywords=[])

    def plan(self, node, body: list) -> LoopPlan:
        """Decide what the primal must record for this loop (to-be-recorded analysis)."""
        assigned = _assigned_in(node)
        for inner in gast.walk(node):                    # what the primal adds in the loop
            inner_plan = self.plans.get(id(inner)) if inner is not node else None
            if inner_plan:
                assigned |= {inner_plan.count, *inner_plan.preset}
            if id(inner) in self.builder.call_sites:
                assigned.add(self.builder.call_sites[id(inner)][1])
            if id(inner) in self.builder.saves:
                assigned.add(self.builder.saves[id(inner)][0])
        needed = sorted(_reads(body) & (assigned - self.invariant(node, assigned)))
        counted = isinstance(node, gast.While) or bool(node.chainrule_exit_flags) or \
            node.chainrule_exit_test is not None
        plan = LoopPlan(self.namer.fresh("iterations" if counted else "length"), counted)
        headers = set(node.chainrule_headers.values())
        unconditional = _assigned_directly(node) | {
            self.builder.call_sites[id(s)][1] for s in node.body
            if id(s) in self.builder.call_sites} | {
            self.builder.saves[id(s)][0] for s in node.body if id(s) in self.builder.saves}
        for variable in needed:
            stack = self.namer.fresh(f"{variable}_stack")
            if variable in headers:
                plan.saved_at_start[variable] = stack
            else:
                plan.saved_at_end[variable] = stack
                if variable not in unconditional:
                    plan.preset.append(variable)
        self.plans[id(node)] = plan
        return plan

    def invariant(self, node, assigned: set[str]) -> set[str]:
        """Names every iteration of the loop sets to the same value: computed at the top
        level of its body, by pure operations, from values the loop does not change. The
        reverse sweep reads them as they are; nothing is stored per iteration."""
        found: set[str] = set()
        stores = collections.Counter(n.id for n in gast.walk(node) if isinstance(n, gast.Name)
                                     and isinstance(n.ctx, gast.Store))
        # Containers the loop stores into change between iterations even though their name
        # is never assigned again.
        assigned = assigned | {n.value.id for n in gast.walk(node)
                               if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store)
                               and isinstance(n.value, gast.Name)}
        headers = set(node.chainrule_headers.values())     # they change between iterations
        for statement in node.body:
            for op in self.operations.get(id(statement), []):
                # Assigned once in the loop (not a header, not reassigned in an inner loop).
                if op.kind not in (RULE, COPY, CONSTANT) or not op.target or \
                        stores[op.target] != 1 or op.target in headers:
                    continue
                reads = {n.id for n in gast.walk(statement.value) if isinstance(n, gast.Name)}
                if all(r not in assigned or r in found for r in reads if r in self.locals):
                    found.add(op.target)
        return found

    # -- one statement ----------------------------------------------------------------------

    def operation(self, op: Operation, index: str | None = None) -> None:
        target = op.target
        if op.kind == STORE:
            self.store(op)
            return
        if not self.active(target):
            return
        adjoint = self.adjoints.get(target)
        if adjoint is None:
            self.consume(target)
            return
        self.builder.comment(op.statement)
        value = getattr(op.statement, "value", None)
        if op.kind == COPY:
            self.contribute(op.inputs[0], name(adjoint))
        elif op.kind == PACK:
            keys = value.keys if isinstance(value, gast.Dict) else [
                const(position) for position in range(len(value.elts))]
            elements = value.values if isinstance(value, gast.Dict) else value.elts
            for key, element in zip(keys, elements):
                self.contribute(local_name(element, self.locals), make(
                    gast.Subscript, value=name(adjoint), slice=clone(key), ctx=gast.Load()))
        elif op.kind == INDEX:
            self.contribute(op.inputs[0], self.call_helper(
                "index_adjoint", runtime.index_adjoint,
                [name(adjoint), value.value, self.index_expression(value.slice)]))
        elif op.kind == ITERATE:
            position = name(index)
            if op.arguments["reversed"]:
                position = make(gast.BinOp, left=const(-1), op=gast.Sub(), right=name(index))
            sequence = op.arguments["sequence"]
            self.contribute(local_name(sequence, self.locals), self.call_helper(
                "index_adjoint", runtime.index_adjoint, [name(adjoint), sequence, position]))
        elif op.kind == RULE:
            self.rule(op, adjoint)
        elif op.kind == CALL:
            self.call(op, adjoint)
        elif op.kind == JOIN:
            self.join(op, adjoint)
        self.consume(target)

    def call_helper(self, preferred: str, function, args: list):
        return make(gast.Call, func=name(self.builder.helper(preferred, function)), args=args,
                    keywords=[])

    def index_expression(self, index):
        """An index as an ordinary expression (slices become ``slice(...)`` calls)."""
        if isinstance(index, gast.Slice):
            parts = [index.lower, index.upper, index.step]
            return self.call_helper("slice", slice, [p if p is not None else const(None)
                                                     for p in parts])
        if isinstance(index, gast.Tuple):
            return make(gast.Tuple, elts=[self.index_expression(e) for e in index.elts],
                        ctx=gast.Load())
        return index

    def store(self, op: Operation) -> None:
        """``container[index] = value``: the value's cotangent is the container's at
        ``index``; that slot's cotangent becomes zero; the old content is put back."""
        container, value = op.target, op.arguments["value"]
        index = self.index_expression(op.arguments["index"])
        adjoint = self.adjoints.get(container)
        self.builder.comment(op.statement)
        if adjoint is not None and self.active(container):
            cotangent = self.call_helper("item_cotangent", runtime.item_cotangent,
                                         [name(adjoint), index, value])
            if local_name(value, self.locals) and not self.keeps_slope(container):
                # An integer or boolean array truncates what is stored: checked when it runs.
                cotangent = self.call_helper("stored_cotangent", runtime.stored_cotangent,
                                             [name(container), cotangent])
            self.contribute(local_name(value, self.locals), cotangent)
            own = self.namer.adjoint(container)
            self.assign_adjoint(own, self.call_helper("without_item", runtime.without_item,
                                                      [name(adjoint), clone(index)]))
            self.adjoints[container] = own
        if container in self.restore:
            old = self.namer.fresh(f"{container}_old")
            self.builder.saves[id(op.statement)] = (old, clone(index))
            self.emit(make(gast.Expr, value=self.call_helper(
                "restore_item", runtime.restore_item, [name(container), clone(index),
                                                       name(old)])))

    def join(self, op: Operation, adjoint: str) -> None:
        """``np.r_[a, b, ...]`` / ``np.c_[...]``: each part's cotangent is its slice of the
        result's (a helper reads the parts' shapes as the concatenator makes them)."""
        value = op.statement.value
        key = value.slice
        cotangents = self.call_helper("concatenator_backward", runtime.concatenator_backward,
                                      [name(adjoint), name(self.builder.helper(
                                          "r_" if op.callee is np.r_ else "c_", op.callee)),
                                       self.index_expression(clone(key))])
        if not isinstance(key, gast.Tuple):
            self.contribute(local_name(key, self.locals), cotangents)
            return
        grads = self.namer.fresh(f"{op.target}_grads")
        self.emit(assign(grads, cotangents))
        for position, part in enumerate(key.elts):
            self.contribute(local_name(part, self.locals), make(
                gast.Subscript, value=name(grads), slice=const(position), ctx=gast.Load()))

    def keeps_slope(self, container: str) -> bool:
        return stores_keep_slope(container, self.builder.floating(), self.kinds)

    def concatenation(self, op: Operation, adjoint: str) -> None:
        """``xs + ys`` on lists: each part's cotangent is its slice of the result's."""
        left, right = op.arguments["a"], op.arguments["b"]
        appended = getattr(op.statement, "chainrule_appended", None)
        if appended:
            # xs.append(v): the last entries are v's, so xs itself need not be kept.
            length = const(-appended)
        else:
            length = make(gast.Call, func=name(self.builder.helper("len", len)), args=[left],
                          keywords=[])
        parts = ((left, make(gast.Slice, lower=None, upper=length, step=None)),
                 (right, make(gast.Slice, lower=clone(length), upper=None, step=None)))
        for atom, part in parts:
            self.contribute(local_name(atom, self.locals), make(
                gast.Subscript, value=name(adjoint), slice=part, ctx=gast.Load()))

    def call(self, op: Operation, adjoint: str) -> None:
        """A call of a user function: its forward runs in the primal (keeping a record), its
        backward here."""
        wanted = tuple(parameter for parameter, atom in op.arguments.items()
                       if self.active(local_name(atom, self.locals)))
        if not wanted:
            return
        kinds = self.argument_kinds(op)
        if self.builder.is_itself(op.callee, wanted, kinds):
            forward, backward = self.builder.pair_names         # direct recursion
        else:
            pair = vjp_of(op.callee, wanted, kinds)
            self.builder.depend_on(op.statement.value.func, op.callee)
            self.builder.dependencies.extend(pair.dependencies)
            label = op.callee.__name__.replace("<lambda>", "lambda")
            forward = self.builder.helper(f"{label}_forward", pair.forward)
            backward = self.builder.helper(f"{label}_backward", pair.backward)
            if pair.source and pair.source not in self.builder.called_sources:
                self.builder.called_sources.append(pair.source)
        tape = self.namer.fresh(f"{op.target}_record")
        self.builder.call_sites[id(op.statement)] = (forward, tape)
        cotangents = make(gast.Call, func=name(backward), args=[name(tape), name(adjoint)],
                          keywords=[])
        if len(wanted) == 1:
            self.contribute(local_name(op.arguments[wanted[0]], self.locals), cotangents)
            return
        grads = self.namer.fresh(f"{op.target}_grads")
        self.emit(assign(grads, cotangents))
        for position, parameter in enumerate(wanted):
            self.contribute(local_name(op.arguments[parameter], self.locals), make(
                gast.Subscript, value=name(grads), slice=const(position), ctx=gast.Load()))

    def argument_kinds(self, op: Operation) -> dict[str, str]:
        """Kinds of the callee's parameters at this call (defaults by their values)."""
        kinds = {}
        for parameter in inspect.signature(op.callee).parameters.values():
            if parameter.name in op.arguments:
                kinds[parameter.name] = self.kinds.atom(op.arguments[parameter.name]) or UNKNOWN
            elif parameter.default is not inspect.Parameter.empty:
                kinds[parameter.name] = kind_of_value(parameter.default)
        return kinds

    def rule(self, op: Operation, adjoint: str) -> None:
        if op.callee is operator.add and CONTAINER in {
                self.kinds.atom(a) for a in op.arguments.values()}:
            self.concatenation(op, adjoint)
            return
        wanted = {parameter for parameter, atom in op.arguments.items()
                  if self.active(local_name(atom, self.locals))}
        if not wanted:
            return
        dtype = op.arguments.get("dtype")
        if dtype is not None and not (isinstance(dtype, gast.Constant) and dtype.value is None):
            # A result cast to integers or booleans is truncated: no gradient flows back.
            cast = truncates(dtype, self.builder.parsed, self.locals)
            if cast is True:
                return
            if cast is UNKNOWN_DTYPE:
                cast_adjoint = self.namer.fresh(f"{op.target}_cast_bar")
                self.assign_adjoint(cast_adjoint, self.call_helper(
                    "cast_cotangent", runtime.cast_cotangent, [name(adjoint), clone(dtype)]))
                adjoint = cast_adjoint

        def elide(parameter: str) -> bool:
            others = [atom for other, atom in op.arguments.items() if other != parameter]
            if broadcasts(op.callee) and all(self.kinds.atom(atom) == SCALAR or (
                    isinstance(atom, gast.Constant) and not isinstance(atom.value, (int, float)))
                    for atom in others):
                return True             # only Python numbers beside it: nothing to sum
            if self.shapes is not None and self.shapes.result_shaped(op, parameter):
                self.builder.uses_shapes = True     # holds for this shape class only
                return True
            return False

        inlined = None
        scalar = self.scalars and self.scalars.scalar_for(op, adjoint)
        if scalar:
            inlined = inline(op.rule, op.arguments, scalar, name(op.target), wanted,
                             self.namer.fresh, self.builder.helper, elide)
            if self.scalars.full_shaped(op, inlined):
                self.builder.uses_shapes = True
            else:
                inlined = None                  # a cotangent would be the bare scalar
        if inlined is None:
            inlined = inline(op.rule, op.arguments, adjoint, name(op.target), wanted,
                             self.namer.fresh, self.builder.helper, elide)
        if self.shapes is not None and op.callee in (operator.matmul, np.matmul):
            self.product_cotangents(op, adjoint, inlined)
        self.name_cotangents_after_variables(op, inlined)
        if self.scalars:
            self.scalars.record(op, inlined, self.namer.fresh)
        for statement in inlined.statements:
            self.emit(statement)
        for parameter in op.rule.params:
            if parameter in inlined.cotangents:
                self.contribute(local_name(op.arguments[parameter], self.locals),
                                inlined.cotangents[parameter])

    def product_cotangents(self, op: Operation, adjoint: str, inlined) -> None:
        """With the operands' dimensions known, write a matrix product's cotangents as the
        products themselves (``g @ W``, ``X.T @ g``), without the general helper's dispatch
        on dimensions. A matrix's cotangent inside a loop keeps the helper: the loop may sum
        those after it (``batching``)."""
        (first_parameter, first), (second_parameter, second) = op.arguments.items()
        forms = _PRODUCT_COTANGENTS.get((self.shapes.rank(first), self.shapes.rank(second)))
        if forms is None:
            return
        placeholders = {"g": adjoint, "x": first, "y": second}
        for parameter, form in zip((first_parameter, second_parameter), forms):
            general = inlined.cotangents.get(parameter)
            if form is None or (self.loop_depth and form in _MATRIX_COTANGENTS) or not (
                    isinstance(general, gast.Call) and isinstance(general.func, gast.Name)
                    and self.builder.helpers.get(general.func.id) in (
                        runtime.matmul_adjoint_lhs, runtime.matmul_adjoint_rhs)):
                continue
            inlined.cotangents[parameter] = rewrite(_product_form(form), placeholders)
            self.builder.uses_shapes = True

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
                    and self.adjoints.get(variable) is None
                    and variable not in self.materialized and cotangent.id not in renames):
                renames[cotangent.id] = self.namer.adjoint(variable)
        if not renames:
            return
        for node in inlined.statements + list(inlined.cotangents.values()):
            for inner in names(node):
                if inner.id in renames:
                    inner.id = renames[inner.id]


# -- where variables occur -----------------------------------------------------------------------

class _Occurrences:
    """For each loop, the variables used or defined both inside and outside it: their adjoints
    live across iterations."""

    def __init__(self):
        self.places: dict[str, list[tuple]] = {}   # variable -> enclosing-loop paths

    def add(self, variable: str, path: tuple) -> None:
        self.places.setdefault(variable, []).append(path)

    def crossing(self, loop) -> set[str]:
        key = id(loop)
        return {variable for variable, paths in self.places.items()
                if any(key in p for p in paths) and any(key not in p for p in paths)}


def _occurrences(body: list, operations: dict, parameters: list[str],
                 result) -> _Occurrences:
    found = _Occurrences()

    def visit(statements: list, path: tuple) -> None:
        for statement in statements:
            if isinstance(statement, gast.If):
                for n in names(statement.test):
                    found.add(n.id, path)
                visit(statement.body, path)
                visit(statement.orelse, path)
            elif isinstance(statement, (gast.For, gast.While)):
                inner = path + (id(statement),)
                for op in operations.get(id(statement), []):
                    found.add(op.target, inner)
                    for variable in op.inputs:               # indexed on every iteration
                        found.add(variable, inner)
                header = statement.iter if isinstance(statement, gast.For) else statement.test
                for n in names(header):
                    found.add(n.id, path if isinstance(statement, gast.For) else inner)
                visit(getattr(statement, "chainrule_test", []), inner)
                visit(statement.body, inner)
            else:
                for n in names(statement):
                    found.add(n.id, path)

    for parameter in parameters:
        found.add(parameter, ())                       # defined on entry, outside every loop
    if isinstance(result, gast.Name):
        found.add(result.id, ())                       # read by the return, after every loop
    visit(body, ())
    return found


def _reads(items: list) -> set[str]:
    """Names a generated block reads; a nested reverse loop counts only what it does not
    restore itself."""
    found = set()

    def visit(node) -> None:
        external = getattr(node, "chainrule_external_reads", None)
        if external is not None:
            found.update(external)
            return
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            found.add(node.id)
        for child in gast.iter_child_nodes(node):
            visit(child)

    for item in items:
        if not isinstance(item, str):
            visit(item)
    return found


def _assigned_in(loop) -> set[str]:
    names = {n.id for n in gast.walk(loop) if isinstance(n, gast.Name)
             and isinstance(n.ctx, gast.Store)}
    for statement in getattr(loop, "chainrule_test", []):
        names |= {n.id for n in gast.walk(statement) if isinstance(n, gast.Name)
                  and isinstance(n.ctx, gast.Store)}
    return names


def _assigned_directly(loop) -> set[str]:
    """Names every iteration of ``loop`` assigns (its target and its body's top level)."""
    names = {n.id for n in gast.walk(loop.target) if isinstance(n, gast.Name)} \
        if isinstance(loop, gast.For) else set()
    for statement in loop.body:
        if isinstance(statement, gast.Assign) and isinstance(statement.targets[0], gast.Name):
            names.add(statement.targets[0].id)
    return names
