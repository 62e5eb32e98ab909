"""Assemble the gradient function: primal sweep, seed, reverse sweep, return.

The reverse sweep is written first (:mod:`chainrule.reverse`), because what the primal must
record for each loop (iteration counts, stacks of overwritten values) is only known once the
loop's adjoint code exists. The primal sweep is then the normal form with that recording
added.
"""

from __future__ import annotations

import contextlib
import copy
import operator
import types
from dataclasses import dataclass, field

import gast
import numpy as np

from . import runtime
from .activity import analyse
from .aliasing import index_source, view_guards
from .dead_code import drop_dead_statements, result_is_real_scalar, without_orphan_comments
from .dtypes import floating_arrays
from .errors import TransformError
from .kinds import CONTAINER, NUMERIC, SCALAR, Kinds
from .normalize import NormalFunction
from .operations import (CALL, INDEX, REFUSED, RULE, STORE, classify, describe, local_name,
                         simple_statements)
from .parsing import resolve_global
from .reverse import LoopPlan, ReverseSweep, _reads
from .shapes import Shapes
from .staleness import CellNamespace, PythonNumber
from .simplify import names_in, simplify
from .syntax import assign, const, make, name, name_ids, render, to_source, walk


@dataclass
class Generated:
    name: str                                  # e.g. "f_grad" (the first function)
    source: str                                # the generated function definition(s)
    helpers: dict[str, object] = field(default_factory=dict)   # closure name -> object
    names: list[str] = field(default_factory=list)             # functions the source defines
    called: list[str] = field(default_factory=list)   # sources of user functions it calls
    # (namespace, name, object) for each user function the code calls: if a name comes to
    # mean another function, the generated code is stale.
    dependencies: list[tuple] = field(default_factory=list)
    # Whether the code holds only for the shape class it was built for (see shapes.py).
    uses_shapes: bool = False


class GradientBuilder:
    def __init__(self, function: NormalFunction, wrt: list[str], kinds: dict[str, str],
                 mode: str, live: types.FunctionType | None = None,
                 shapes: dict[str, tuple | None] | None = None,
                 floating_arrays: bool = False):
        self.function = function
        # The normal form is shared by every function with the same code; names are
        # resolved in the globals and closure of the function at hand.
        self.parsed = function.parsed if live is None else function.parsed.for_function(live)
        self.namer = copy.deepcopy(function.namer)   # each specialization names afresh
        self.wrt = wrt
        self.mode = mode                             # "grad" or "value_and_grad"
        self.locals = _all_local_names(function)
        self.argument_kinds = kinds
        self.argument_shapes = shapes           # a shape class (see shapes.py), or None
        self.floating_arrays = floating_arrays  # every array argument of a floating dtype
        self.uses_shapes = False                # whether the code relies on that class
        self.helpers: dict[str, object] = {}
        self.call_sites: dict[int, tuple[str, str]] = {}   # statement -> (forward, tape)
        self.saves: dict[int, tuple] = {}       # store statement -> (old-value name, index)
        # statement -> the checks to run before it: (helper name, check, value checked)
        self.guards: dict[int, list[tuple]] = {}
        self.unbound_checked: set[str] = set()      # views checked, unbound on some paths
        self.called_sources: list[str] = []
        self.dependencies: list[tuple] = []
        self._comment_for = None
        self._pending_comment: str | None = None
        self._operations: list = []
        self._floating: set[str] | None = None

    # -- names the generated code receives through its closure ------------------------------

    def helper(self, preferred: str, value) -> str:
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

    def depend_on(self, callee_expression, function) -> None:
        """Remember where the code found ``function`` (a global, closure or module
        attribute), to notice later if that name is rebound."""
        path = []
        node = callee_expression
        while isinstance(node, gast.Attribute):
            path.append(node.attr)
            node = node.value
        if not isinstance(node, gast.Name):
            return
        root = node.id
        if root in self.parsed.cells:
            holder, key = CellNamespace(self.parsed.cells[root]), root
        else:
            holder, key = self.parsed.globals, root
        for attribute in reversed(path):
            owner = holder.get(key)
            holder, key = getattr(owner, "__dict__", {}), attribute
        self.dependencies.append((holder, key, function))

    def depend_on_number(self, identifier: str) -> None:
        """The code treats the global (or closure) ``identifier`` as a Python number."""
        if identifier in self.parsed.cells:
            entry = (CellNamespace(self.parsed.cells[identifier]), identifier, PythonNumber)
        else:
            entry = (self.parsed.globals, identifier, PythonNumber)
        if not any(e[0] is entry[0] and e[1] == identifier for e in self.dependencies):
            self.dependencies.append(entry)

    # -- comments ---------------------------------------------------------------------------

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

    @contextlib.contextmanager
    def comment_scope(self):
        saved = self._comment_for, self._pending_comment
        self._comment_for = self._pending_comment = None
        yield
        self._comment_for, self._pending_comment = saved

    def emit_into(self, block: list, item) -> None:
        if self._pending_comment:
            block.append(self._pending_comment)
            self._pending_comment = None
        block.append(item)

    # -- the function -----------------------------------------------------------------------

    def build(self) -> Generated:
        function = self.function
        operations = classify(function, self.locals, self.parsed)
        flat = self._operations = [op for ops in operations.values() for op in ops]
        kinds = Kinds(self.parsed, self.locals, self.argument_kinds, self.depend_on_number)
        counters = set()
        for statement in simple_statements(function.body):
            for version, source in getattr(statement, "chainrule_elements", ()):
                if source is None:
                    kinds.of[version] = SCALAR          # a range value or enumerate's index
                    counters.add(version)
        kinds.infer(flat)
        self.kinds = kinds
        shapes = None
        if self.argument_shapes is not None:
            shapes = Shapes(kinds, self.argument_shapes, counters)
            shapes.infer(flat)
        result = local_name(function.result, self.locals)
        activity = analyse(flat, self.wrt, result, self.dropped_gradient)
        self.check(flat, activity, kinds)

        suffix = {"grad": "grad", "value_and_grad": "value_and_grad", "vjp": "forward"}[self.mode]
        base = self.parsed.name.replace("<lambda>", "lambda")
        generated_name = self.namer.fresh(f"{base}_{suffix}")
        self.pair_names = (generated_name, self.namer.fresh(f"{base}_backward"))
        seed = self.namer.fresh("out_bar")
        reverse = ReverseSweep(self, operations, activity, kinds, shapes)
        reverse_lines: list = []
        if result and activity.active(result):
            reverse.adjoints[result] = seed
            with reverse.into(reverse_lines):
                reverse.block(function.body)
        self._comment_for = self._pending_comment = None

        # A view a check reads that some paths to it leave unbound is None until bound.
        primal_lines: list = [f"{view} = None" for view in sorted(self.unbound_checked)]
        stacks = [stack for plan in reverse.plans.values()
                  for stack in {**plan.saved_at_start, **plan.saved_at_end}.values()]
        for stack in stacks:
            primal_lines.append(assign(stack, make(gast.List, elts=[], ctx=gast.Load())))
        self._plans = reverse.plans
        self.primal_block(function.body, primal_lines)
        out = result
        if out is None:
            out = self.namer.fresh("out")
            primal_lines.append(assign(out, function.result))
        if self.mode == "vjp":
            # A caller adds what the backward returns: no gradient is a zero, not None.
            gradients = [reverse.adjoints.get(parameter) or to_source(reverse.zero(parameter))
                         for parameter in self.wrt]
        else:
            gradients = [reverse.adjoints.get(parameter) or "None" for parameter in self.wrt]
        grads_text = ", ".join(gradients)
        if reverse.scalars:
            reverse.scalars.drop_unread(reverse_lines, set(gradients))
        has_reverse = any(not isinstance(item, str) for item in reverse_lines)
        if self.mode == "vjp":
            return self.vjp_functions(seed, out, primal_lines, reverse_lines, grads_text,
                                      reverse.plans, stacks)
        restored = {v for plan in reverse.plans.values()
                    for v in {**plan.saved_at_start, **plan.saved_at_end}}
        if self.mode == "value_and_grad" and (out in restored or kinds.get(out) != SCALAR):
            # The reverse sweep rebinds `out`, or puts back elements of an array a 0-d view
            # `out` may show: the value is taken now.
            value = self.namer.fresh("value")
            primal_lines.append(assign(value, name(out)) if out in restored else assign(
                value, make(gast.Call, func=name(self.helper("value_now", runtime.value_now)),
                            args=[name(out)], keywords=[])))
            out = value
        if self.mode == "grad" and self.floating_arrays and result_is_real_scalar(
                result, function.body, operations, kinds, shapes):
            # The value is known to be a real scalar: it need not be checked, nor made.
            self.uses_shapes = True
            primal_lines.append(f"{seed} = 1.0")
            drop_dead_statements(primal_lines, reverse_lines, set(gradients), operations,
                                 kinds, shapes, function.params)
            primal_lines[:] = without_orphan_comments(primal_lines)
        else:
            scalar_seed = self.helper("scalar_seed", runtime.scalar_seed)
            primal_lines.append(f"{seed} = {scalar_seed}({out}, {self.parsed.name!r})")
        if has_reverse:
            primal_lines.append("# reverse sweep: the chain rule, last statement first")
        if self.mode == "grad":
            closing = f"return {grads_text}"
        else:
            closing = f"return {out}, " + (f"({grads_text})" if len(gradients) > 1
                                           else grads_text)
        source = _function_source(f"def {generated_name}({', '.join(function.params)}):",
                                  primal_lines + reverse_lines + [closing])
        return Generated(generated_name, source, self.helpers, [generated_name],
                         self.called_sources, self.dependencies, self.uses_shapes)

    def is_itself(self, callee, wrt: tuple[str, ...], kinds: dict[str, str]) -> bool:
        """A recursive call of the function being transformed into a forward/backward pair
        (same parameters differentiated, same argument kinds)."""
        return (self.mode == "vjp" and callee is self.parsed.function and list(wrt) == self.wrt
                and kinds == self.argument_kinds)

    def vjp_functions(self, seed, out, primal_lines, reverse_lines, grads_text, plans,
                      stacks) -> Generated:
        """A forward function (the primal, returning its result and what the reverse needs)
        and a backward function (the reverse sweep, from that record and ``out_bar``)."""
        forward_name, backward_name = self.pair_names
        produced = self.locals | set(stacks) | {tape for _, tape in self.call_sites.values()} | {
            old for old, _ in self.saves.values()}
        for plan in plans.values():
            produced |= {plan.count, *plan.preset} if plan.count_read else {*plan.preset}
            produced |= set(plan.indices)
        returned = {n.id for n in gast.walk(gast.parse(f"({grads_text},)"))
                    if isinstance(n, gast.Name)}
        tape = sorted((_reads(reverse_lines) | returned) & produced)
        record = self.namer.fresh("tape")
        packed = ", ".join(tape) + ("," if len(tape) == 1 else "")
        # Names bound only on some paths start as None, so the record can always be made.
        always = set(self.function.params) | set(stacks) | {
            s.targets[0].id for s in self.function.body if isinstance(s, gast.Assign)
            and isinstance(s.targets[0], gast.Name)} | {
            self.saves[id(s)][0] for s in self.function.body if id(s) in self.saves} | {
            self.call_sites[id(s)][1] for s in self.function.body if id(s) in self.call_sites}
        presets = [assign(variable, const(None)) for variable in tape if variable not in always]
        forward = _function_source(f"def {forward_name}({_signature(self.parsed.node)}):",
                                   presets + primal_lines + [f"return {out}, ({packed})"])
        unpack = [f"{packed} = {record}"] if tape else []
        backward = _function_source(f"def {backward_name}({record}, {seed}):",
                                    unpack + reverse_lines + [f"return {grads_text}"])
        return Generated(forward_name, forward + "\n" + backward, self.helpers,
                         [forward_name, backward_name], self.called_sources, self.dependencies,
                         self.uses_shapes)

    def floating(self) -> set[str]:
        """Locals known to hold floating arrays (dtypes.py), worked out when first asked."""
        if self._floating is None:
            self._floating = floating_arrays(self._operations, self.kinds, self.parsed,
                                             self.locals, self.function.params,
                                             self.floating_arrays)
        return self._floating

    def check_object_subscript(self, op, activity) -> None:
        """``c[key]`` with a key that needs a gradient and a constant ``c``: an index has no
        gradient if ``c`` is data, which only the running code can tell when ``c`` comes
        from a call or a loop (np.r_ returned by a function)."""
        if op.kind != INDEX or not op.inputs or op.inputs[0] in activity.varied or \
                op.target not in activity.useful:
            return
        keys = sorted(n for n in op.operands() - set(op.inputs) if n in activity.varied)
        if keys:
            self.guards.setdefault(id(op.statement), []).append((
                "refuse_object_subscript",
                runtime.ObjectSubscriptCheck(self.dropped_gradient(op, keys)), op.inputs[0]))

    def check_in_place_cast(self, op, kinds) -> None:
        """``a op= b`` is computed as ``a = a op b``: where ``a`` may be an integer or
        boolean array, NumPy's refusal of a result it cannot hold is checked when the code
        runs (never a better answer than NumPy's)."""
        user = getattr(op.statement, "user_statement", None)
        value = getattr(op.statement, "value", None)
        ufunc = _IN_PLACE_UFUNCS.get(type(getattr(value, "op", None)))
        if op.kind != RULE or not isinstance(user, gast.AugAssign) or ufunc is None or \
                getattr(op.statement, "chainrule_changes", None) is None or \
                not isinstance(value.left, gast.Name):
            return
        if kinds.atom(value.left) in (SCALAR, CONTAINER) or value.left.id in self.floating():
            return
        self.guards.setdefault(id(op.statement), []).append((
            "check_in_place_cast", runtime.InPlaceCastCheck(ufunc),
            f"{value.left.id}, {to_source(value.right).strip()}"))

    def dropped_gradient(self, op, names: list[str]) -> TransformError:
        """The error for an operation that reads values needing a gradient (``names``) but
        whose result would be taken for a constant (see activity.py)."""
        what = describe(op)
        user = sorted(set(names) & name_ids(self.parsed.node))      # not the temporaries
        taken = f"{', '.join(repr(n) for n in user)}, which need" if len(user) > 1 else \
            f"{user[0]!r}, which needs" if user else "a value that needs"
        return TransformError(
            f"cannot differentiate {self.parsed.name}: {what} takes {taken} a gradient, but "
            f"chainrule has no rule for how its result depends on it",
            construct=what, origin=self.parsed.origin(op.statement.user_statement),
            hint="compute it from values that need no gradient, or write it with functions "
                 "chainrule differentiates (np.concatenate, np.linspace, np.where, ...)")

    def check(self, operations, activity, kinds) -> None:
        """Refuse what the transform cannot follow, before any code is made (or arrange a
        check when the code runs, where only the value can tell)."""
        for op in operations:
            if op.kind == REFUSED and op.target and activity.active(op.target):
                raise op.problem
            varied_inputs = any(input_ in activity.varied for input_ in op.inputs)
            if op.kind == RULE and op.callee is operator.mul and varied_inputs and \
                    activity.active(op.target) and \
                    CONTAINER in map(kinds.atom, op.arguments.values()):
                raise TransformError(
                    f"cannot differentiate {self.parsed.name}: a list repeated with * holds "
                    f"values that need a gradient", construct="list repetition",
                    origin=self.parsed.origin(op.statement.user_statement),
                    hint="write the items out ([x, x, x]), or build the list in a loop with "
                         ".append")
            if op.kind == CALL:
                self.check_changed_arguments(op, kinds, varied_inputs)
            if op.kind == STORE and isinstance(op.arguments["index"], gast.Slice) and \
                    kinds.get(op.target) != NUMERIC:
                self.check_slice_store(op)
            self.check_in_place_change(op, kinds)
            self.check_object_subscript(op, activity)
            self.check_in_place_cast(op, kinds)
        guards, self.unbound_checked = view_guards(self.function, activity, kinds,
                                                   self.parsed, self.helper)
        for statement_id, checks in guards.items():
            self.guards.setdefault(statement_id, []).extend(checks)

    def check_slice_store(self, op) -> None:
        """``xs[a:b] = ys`` on a list may change its length, which moves every later item:
        refused when the code runs if it does (an array's slice keeps its length)."""
        problem = TransformError(
            f"cannot differentiate {self.parsed.name}: assignment to a slice of list "
            f"'{op.target}' with a different number of items changes the list's length",
            construct="a list slice assignment that changes the length",
            origin=self.parsed.origin(op.statement.user_statement),
            hint="build a new list instead (xs = xs[:a] + new_items + xs[b:])")
        self.guards.setdefault(id(op.statement), []).append((
            "refuse_resizing_store", runtime.ResizingStoreCheck(problem),
            f"{op.target}, {index_source(op.arguments['index'], self.helper)}, "
            f"{to_source(op.arguments['value']).strip()}"))

    def check_in_place_change(self, op, kinds) -> None:
        """An ``op=`` or ``xs.append(v)`` whose change Python would show through another name,
        a container, a view or a loop: refused (at once for a list, when the code runs for a
        value that may turn out to be a number)."""
        shared = list(getattr(op.statement, "chainrule_shared_with", None) or ())
        updated = getattr(getattr(op.statement, "value", None), "left", None)  # before op=
        kind = kinds.atom(updated)
        # What the change would be seen through: the other names see an array or a list
        # changed in place; the loop sees a list's new length, and an array's update only in
        # the elements it reads.
        seen_in = {np.ndarray, list} if shared else set()
        iterated = getattr(op.statement, "chainrule_iterated", None)
        if iterated and kind != SCALAR:
            description, reads_elements, grows = iterated
            shared.append(description)
            seen_in |= {np.ndarray, list} if reads_elements else {list}
            if grows:                                   # xs.append(v): a list, surely
                kind = CONTAINER
        if kind == NUMERIC:
            seen_in.discard(list)
        if not seen_in or kind == SCALAR:
            return
        problem = self.shared_update_problem(op.statement.user_statement, shared,
                                             kind == CONTAINER)
        if kind == CONTAINER:
            raise problem
        # An array or a list changes in place, a NumPy scalar or a tuple is rebound: which
        # one it is is only known when the code runs, so the check runs then.
        self.guards.setdefault(id(op.statement), []).append((
            "refuse_shared_array_update", runtime.SharedUpdateCheck(
                problem, tuple(sorted(seen_in, key=lambda t: t.__name__))), updated.id))

    def check_changed_arguments(self, op, kinds, varied: bool = True) -> None:
        """A function of yours must not change an array or list it is given in place
        (``arg += ...``): Python changes the caller's object, the callee's normal form a new
        one of its own; and where no value given carries a gradient (the callee then runs
        as it is), the caller's normal form would not see the change. This is checked
        whether or not the call's result is used (so a callee that cannot be differentiated
        at all is refused here too, where a value given carries a gradient); a number given
        there is rebound, not changed."""
        from .api import _normal_form                   # (api imports this module)
        if not varied and not any(isinstance(atom, gast.Name) and atom.id in self.locals
                                  for atom in op.arguments.values()):
            return
        try:
            callee = _normal_form(op.callee)            # raises what it refuses
        except TransformError as error:
            # Run as it is, a callee is refused only for changing what it is given (a store
            # into it, a method that changes it): other code it may hold runs unchanged.
            if varied or getattr(error, "changes_argument", False):
                raise
            return
        for parameter, where in callee.changed_arguments.items():
            atom = op.arguments.get(parameter)
            kind = kinds.atom(atom)
            if not (isinstance(atom, gast.Name) and atom.id in self.locals) or kind == SCALAR:
                continue
            origin = callee.parsed.origin(where)
            name_ = op.callee.__name__
            problem = TransformError(
                f"cannot differentiate {self.parsed.name}: {name_}() changes its argument "
                f"'{parameter}' in place (line {origin.lineno if origin else '?'}: "
                f"{to_source(where).strip()}), and is given "
                f"'{atom.id}', which the caller goes on holding",
                construct="a call that changes its argument",
                origin=self.parsed.origin(op.statement.user_statement),
                hint=f"make {name_} return the new value and assign it, or pass a copy")
            if kind == CONTAINER:
                raise problem
            # A NumPy scalar is rebound too: only an array or a list is changed in place.
            self.guards.setdefault(id(op.statement), []).append((
                "refuse_changed_argument",
                runtime.SharedUpdateCheck(problem, (list, np.ndarray)), atom.id))

    def shared_update_problem(self, user, shared: list[str], is_list: bool) -> TransformError:
        """The error for an in-place change (``a += ...``, ``xs.append(v)``) of an object that
        other names, or the sequence a loop iterates, also see: Python's later reads would see
        the change, the normal form's new object would not."""
        # Entries are other names, or a description (the sequence a loop iterates).
        names_ = [n for n in shared if n.isidentifier()]
        what = ", ".join([repr(n) for n in names_] + [n for n in shared if not n.isidentifier()])
        origin = self.parsed.origin(user)
        if isinstance(user, gast.AugAssign) and not is_list:
            target = to_source(user.target).strip()         # a, or xs[0] (xs = [a])
            copy = f"{target} = {names_[0]}.copy()" if names_ else \
                f"iterate over {target}.copy()"
            return TransformError(
                f"cannot differentiate {self.parsed.name}: in-place update of '{target}', "
                f"which names the same array as {what}",
                construct="in-place update of a shared array", origin=origin,
                hint=f"write {target} = {target} <op> ... to make a new array" + (
                    f", or copy first ({copy})" if target.isidentifier() else ""))
        if isinstance(user, gast.AugAssign):               # xs += ys
            target = user.target.id
            change = f"{target} {'*' if isinstance(user.op, gast.Mult) else '+'}= ..."
        else:                                              # xs.append(v), xs.extend(vs)
            target = user.value.func.value.id
            change = f"{target}.{user.value.func.attr}(...)"
        if names_:
            hint = (f"build a new list ({target} = {target} + [...]), or copy first "
                    f"({target} = list({names_[0]}))")
        else:
            hint = (f"iterate over a copy (list({target})) if the loop should not see the "
                    f"change; a while loop over an index (while i < len({target})) sees new "
                    f"items")
        return TransformError(
            f"cannot differentiate {self.parsed.name}: in-place change of the list "
            f"'{target}' ({change}), which is also {what}",
            construct="in-place change of a shared list", origin=origin, hint=hint)

    # -- the primal sweep, with what loops must record --------------------------------------

    def primal_block(self, statements: list, out: list) -> None:
        for statement in statements:
            self.comment(statement)
            if isinstance(statement, gast.If):
                body, orelse = [], []
                with self.comment_scope():
                    self.primal_block(statement.body, body)
                with self.comment_scope():
                    self.primal_block(statement.orelse, orelse)
                self.emit_into(out, make(gast.If, test=statement.test,
                                         body=body or [make(gast.Pass)], orelse=orelse))
                continue
            if isinstance(statement, (gast.For, gast.While)):
                self.primal_loop(statement, self._plans.get(id(statement)), out)
                continue
            for helper_name, check, value in self.guards.get(id(statement), ()):
                self.emit_into(out, f"{self.helper(helper_name, check)}({value})")
            if id(statement) in self.saves:
                old, index = self.saves[id(statement)]
                container = statement.targets[0].value
                self.emit_into(out, assign(old, make(gast.Call, func=name(self.helper(
                    "saved_item", runtime.saved_item)), args=[container, index], keywords=[])))
                self.emit_into(out, statement)
            elif id(statement) in self.call_sites:
                forward, tape = self.call_sites[id(statement)]
                call = statement.value
                forward_call = make(gast.Call, func=name(forward), args=call.args,
                                    keywords=call.keywords)
                # Written out, not unparsed: Python 3.10's unparse brackets tuple targets.
                self.emit_into(out, f"{statement.targets[0].id}, {tape} = "
                                    f"{to_source(forward_call)}")
            else:
                self.emit_into(out, statement)

    def primal_loop(self, loop, plan: LoopPlan | None, out: list) -> None:
        body: list = []
        with self.comment_scope():
            self.primal_block(getattr(loop, "chainrule_test", []), body)
            if plan and plan.counted and plan.count_read:
                body.append(assign(plan.count, make(gast.BinOp, left=name(plan.count),
                                                    op=gast.Add(), right=const(1))))
            for variable, stack in (plan.saved_at_start.items() if plan else ()):
                body.append(_push(stack, variable))
            body_start = len(body)          # after the test's statements and their break
            self.primal_block(loop.body, body)
            for variable, stack in (plan.saved_at_end.items() if plan else ()):
                body.insert(_after_last_assignment(body, variable, body_start),
                            _push(stack, variable))
            tests = [name(f) for f in loop.chainrule_exit_flags]
            if loop.chainrule_exit_test is not None:
                tests.append(loop.chainrule_exit_test)
                exit_statement = loop.chainrule_user.chainrule_exit_statement
                origin = self.parsed.origin(exit_statement)
                body.append(f"# line {origin.lineno}: "
                            f"{self.parsed.source_map.statement_text(exit_statement)}")
            if tests:
                test = tests[0] if len(tests) == 1 else make(gast.BoolOp, op=gast.Or(),
                                                             values=tests)
                body.append(make(gast.If, test=test, body=[make(gast.Break)], orelse=[]))
        if plan:
            for variable in plan.preset:
                self.emit_into(out, assign(variable, const(None)))
            for indices, expression in plan.indices.items():
                self.emit_into(out, assign(indices, expression))
            if not plan.count_read:
                pass                          # the reverse walks the stacks instead
            elif plan.counted:
                self.emit_into(out, assign(plan.count, const(0)))
            else:
                self.emit_into(out, assign(plan.count, self.length_of(loop)))
        rendered = make(type(loop), **{f: getattr(loop, f) for f in loop._fields})
        has_code = any(not isinstance(item, str) for item in body)
        rendered.body = body if has_code else [make(gast.Pass)]
        self.emit_into(out, rendered)

    def length_of(self, loop):
        """The number of iterations of a ``for`` loop without early exits: the length of its
        sequence (the shortest one for ``zip``), or of its ``range``."""
        length = name(self.helper("len", len))
        sequences = [source[0] for _, source in loop.chainrule_elements if source is not None]
        if not sequences:
            iterable = loop.iter
            if isinstance(iterable, gast.Call) and getattr(iterable.func, "id", "") == \
                    "enumerate":
                iterable = iterable.args[0]
            sequences = [iterable]
        lengths = [make(gast.Call, func=length, args=[s], keywords=[]) for s in sequences]
        if len(lengths) == 1:
            return lengths[0]
        return make(gast.Call, func=name(self.helper("min", min)), args=lengths, keywords=[])


def _function_source(header: str, lines: list) -> str:
    body = render(simplify(lines))
    return header + "\n" + "\n".join("    " + line for line in body.splitlines()) + "\n"


def _signature(node: gast.FunctionDef) -> str:
    """The parameter list of a generated function that takes the same arguments as ``node``
    (defaults are attached when it is bound)."""
    args = node.args
    parts = [a.id for a in args.posonlyargs]
    if parts:
        parts.append("/")
    parts += [a.id for a in args.args]
    if args.kwonlyargs:
        parts.append("*")
        parts += [a.id for a in args.kwonlyargs]
    return ", ".join(parts)


def _after_last_assignment(body: list, variable: str, start: int) -> int:
    """Where to push ``variable``'s value of this iteration: right after the top-level
    statement (from ``start`` on: every turn that gets there completes) that assigns it, if
    nothing later in the body assigns it again (then the value it is read for after the
    push need not stay in its name until the end of the body); else at the end."""
    for position in range(len(body) - 1, start - 1, -1):
        item = body[position]
        if isinstance(item, gast.Assign) and len(item.targets) == 1 and \
                isinstance(item.targets[0], gast.Name) and item.targets[0].id == variable:
            return position + 1
        if variable in names_in(item)[1]:
            break                                 # assigned later in a branch or a loop
    return len(body)


def _push(stack: str, variable: str):
    return make(gast.Expr, value=make(gast.Call, func=make(
        gast.Attribute, value=name(stack), attr="append", ctx=gast.Load()),
        args=[name(variable)], keywords=[]))


def _all_local_names(function: NormalFunction) -> set[str]:
    """Every local of the normal form (shared by all specializations, so kept on it)."""
    local_names = getattr(function, "_local_names", None)
    if local_names is None:
        local_names = set(function.params)
        statements = list(function.body)
        while statements:
            local_names |= name_ids(statements, gast.Store)
            # A while loop's test is computed by statements kept beside its body.
            statements = [test for node in walk(statements)
                          for test in getattr(node, "chainrule_test", ())]
        function._local_names = local_names
    return local_names


def build_gradient(function: NormalFunction, wrt: list[str], kinds: dict[str, str],
                   mode: str, live: types.FunctionType | None = None,
                   shapes: dict[str, tuple | None] | None = None,
                   floating_arrays: bool = False) -> Generated:
    return GradientBuilder(function, wrt, kinds, mode, live, shapes, floating_arrays).build()


# The ufunc NumPy runs for each op= on an array.
_IN_PLACE_UFUNCS = {
    gast.Add: np.add, gast.Sub: np.subtract, gast.Mult: np.multiply, gast.Div: np.true_divide,
    gast.FloorDiv: np.floor_divide, gast.Mod: np.remainder, gast.Pow: np.power,
    gast.BitAnd: np.bitwise_and, gast.BitOr: np.bitwise_or, gast.BitXor: np.bitwise_xor,
    gast.LShift: np.left_shift, gast.RShift: np.right_shift, gast.MatMult: np.matmul}
