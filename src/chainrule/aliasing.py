"""Changes in place that a view would show: checked when the code runs.

The normal form follows values: ``c = b[0:2]`` is a value, and a later ``b[0] = v`` makes
no difference to it. In Python it does when ``c`` is a view (a slice, a row, ``.T``, a
reshape, or whatever a function of yours returned from ``b``): ``c`` shows the new
element. So a statement that changes an array in place (an element store, an ``op=`` on
an array) is checked, just before it runs, against each possible view of that array that
the code reads afterwards and that carries a gradient: if the view shares memory with the
part of the array that changes, the call is refused. A copy (an item of a vector) or a row
the store misses (``prev = h[t - 1]; h[t] = f(prev)``) passes.

Storing into (or ``op=`` on) what a function of yours returned is checked against the
arrays it was given, which it may be; so is a name bound to another's array (a nested
function's parameter). A list or dict holding a view counts as one (its arrays are
checked), also across a loop's turns (``hs.append(h)`` after ``h[:] = ...``).

A store through a list of indices or a mask is taken to change all of the array.

"Afterwards" is in program order, leaving out the other branch of an ``if`` that holds
both, and, in a loop, also the loop's earlier statements for a view made before the loop
(its next turn reads them after the change).
"""

from __future__ import annotations

import gast

from . import runtime
from .errors import TransformError
from .kinds import SCALAR
from .syntax import name_ids, to_source, walk


class _ProgramOrder:
    """Where each name is read and assigned, in program order, with the loops and the
    branches around each place."""

    def __init__(self, function):
        self.places: list[tuple[tuple, tuple]] = []      # (loops, branches) per position
        self.position_of: dict[int, int] = {}            # id(statement) -> position
        self.reads: dict[str, list[int]] = {}
        self.assigned_at: dict[str, list[int]] = {}
        self.copies: dict[str, list[str]] = {}            # name -> names copied from it
        self.visit(function.body, (), ())
        if isinstance(function.result, gast.Name):        # the return reads it last
            self.add(None, {function.result.id}, set(), (), ())

    def add(self, statement, reads: set[str], writes: set[str], loops, branches) -> None:
        position = len(self.places)
        self.places.append((loops, branches))
        if statement is not None:
            self.position_of[id(statement)] = position
        for read in reads:
            self.reads.setdefault(read, []).append(position)
        for write in writes:
            self.assigned_at.setdefault(write, []).append(position)

    def visit(self, statements: list, loops: tuple, branches: tuple) -> None:
        for statement in statements:
            if isinstance(statement, gast.If):
                self.add(None, name_ids(statement.test, gast.Load), set(), loops, branches)
                self.visit(statement.body, loops, branches + ((id(statement), 0),))
                self.visit(statement.orelse, loops, branches + ((id(statement), 1),))
            elif isinstance(statement, (gast.For, gast.While)):
                inner = loops + (id(statement),)
                header = statement.iter if isinstance(statement, gast.For) else statement.test
                targets = name_ids(statement.target, gast.Store) if isinstance(
                    statement, gast.For) else set()
                self.add(None, name_ids(header, gast.Load), targets, inner, branches)
                self.visit(getattr(statement, "chainrule_test", []), inner, branches)
                self.visit(statement.body, inner, branches)
            elif _is_copy(statement):
                # `cur_2 = cur_3` (a loop carrying a value on) reads nothing yet: reads of
                # the copy count as reads of what it copies.
                self.copies.setdefault(statement.value.id, []).append(statement.targets[0].id)
                self.add(statement, set(), {statement.targets[0].id}, loops, branches)
            else:
                self.add(statement, name_ids(statement, gast.Load),
                         name_ids(statement, gast.Store), loops, branches)

    def read_after(self, statement, variable: str) -> bool:
        """Whether ``variable`` (or a copy of it) may be read after ``statement`` runs."""
        names, todo = {variable}, [variable]
        while todo:
            for copy in self.copies.get(todo.pop(), ()):
                if copy not in names:
                    names.add(copy)
                    todo.append(copy)
        return any(self.name_read_after(statement, name_) for name_ in names)

    def name_read_after(self, statement, variable: str) -> bool:
        at = self.position_of[id(statement)]
        loops, branches = self.places[at]
        made_in = {loop for position in self.assigned_at.get(variable, ())
                   for loop in self.places[position][0]}
        # In a loop the view was not made in, every read of the loop comes after (next turn).
        around = {loop for loop in loops if loop not in made_in}
        for position in self.reads.get(variable, ()):
            read_loops, read_branches = self.places[position]
            if around & set(read_loops):
                return True
            if position > at and not _other_branch(branches, read_branches):
                return True
        return False


def _is_copy(statement) -> bool:
    return isinstance(statement, gast.Assign) and len(statement.targets) == 1 and \
        isinstance(statement.targets[0], gast.Name) and isinstance(statement.value, gast.Name)


def _other_branch(first: tuple, second: tuple) -> bool:
    """Whether two places lie in different branches of one ``if``."""
    choices = dict(first)
    return any(choices.get(node, branch) != branch for node, branch in second)


def view_guards(function, activity, kinds, parsed, helper) -> tuple[dict, set]:
    """The checks to run before statements that change an array in place: id(statement) ->
    [(helper name, check, arguments text)] (see ``GradientBuilder.guards``); and the names
    a check reads that are bound on some paths to it but not all, to bind to None first.

    A check is made only where it can fire: a Python number is never changed in place nor
    a view, and a view bound only on another path than the change's (the other branch of
    an ``if``) cannot show it."""
    order = bound = written = None
    guards: dict[int, list[tuple]] = {}
    presets: set[str] = set()
    for statement in _changing_statements(function.body):
        base, base_name, index, views = statement.chainrule_changes
        given = getattr(statement, "chainrule_changes_given", ())
        if kinds.get(base) == SCALAR:
            continue                    # `x *= v` on a number makes a new one
        if order is None:
            order, bound = _ProgramOrder(function), _Bound(function)
        surely, maybe = bound.at[id(statement)]
        region = index_source(index, helper) if index is not None else None
        origin = parsed.origin(statement.user_statement)
        # The names the user wrote first: their check raises, naming them, before one of
        # a temporary (the value of `b[:2] if flag else z`, of a comprehension) would.
        if written is None:
            written = name_ids(parsed.node)
        for view, view_name in sorted(views, key=lambda view: view[1] not in written):
            if view not in maybe or kinds.get(view) == SCALAR or \
                    not activity.active(view) or not order.read_after(statement, view):
                continue
            if view not in surely:
                presets.add(view)
            problem = TransformError(
                f"cannot differentiate {parsed.name}: this changes '{base_name}' in place "
                f"where '{view_name}', a view of it made before, shows the change, and "
                f"'{view_name}' is read afterwards; chainrule follows values, not shared "
                f"memory", construct="a change to an array a view shows",
                origin=origin,
                hint=f"make '{view_name}' a copy where it is made (add .copy()), or finish "
                     f"with '{view_name}' before changing '{base_name}'")
            guards.setdefault(id(statement), []).append((
                "refuse_change_under_view", runtime.ChangedViewCheck(problem),
                f"{view}, {base}" + (f", {region}" if region else "")))
        for array, array_name in given:
            if array not in maybe or kinds.get(array) == SCALAR or \
                    not (activity.active(base) or activity.active(array)):
                continue
            if array not in surely:
                presets.add(array)
            problem = TransformError(
                f"cannot differentiate {parsed.name}: '{base_name}' shares its memory with "
                f"'{array_name}' (it is '{array_name}', a view of it, or what a function "
                f"of yours returned from it), so this changes '{array_name}' too, which "
                f"chainrule cannot follow",
                construct="a change to an array another name shows", origin=origin,
                hint=f"make '{base_name}' a copy first ({base_name} = {base_name}.copy())")
            guards.setdefault(id(statement), []).append((
                "refuse_change_under_view", runtime.ChangedViewCheck(problem, direct=True),
                f"{base}, {array}"))
    return guards, presets


class _Bound:
    """Which names are bound when each statement that changes an array runs: ``at`` maps
    id(statement) -> (names bound on every path to it, names bound on some path)."""

    def __init__(self, function):
        self.at: dict[int, tuple[frozenset, frozenset]] = {}
        start = frozenset(function.params)
        self.block(function.body, start, start)

    def block(self, statements: list, surely: frozenset, maybe: frozenset) -> tuple:
        for statement in statements:
            if isinstance(statement, gast.If):
                body = self.block(statement.body, surely, maybe)
                orelse = self.block(statement.orelse, surely, maybe)
                surely, maybe = body[0] & orelse[0], body[1] | orelse[1]
            elif isinstance(statement, (gast.For, gast.While)):
                # A later turn also holds what the body (and a while's test) binds.
                turns = maybe | _stores(statement)
                inside = surely
                if isinstance(statement, gast.For):
                    inside = surely | name_ids(statement.target, gast.Store)
                else:                   # a while loop's test runs at least once
                    surely = inside = self.block(
                        getattr(statement, "chainrule_test", []), surely, turns)[0]
                self.block(statement.body, inside, turns)
                maybe = turns
            else:
                if getattr(statement, "chainrule_changes", None):
                    self.at[id(statement)] = (surely, maybe)
                stored = name_ids(statement, gast.Store)
                surely, maybe = surely | stored, maybe | stored
        return surely, maybe


def _stores(statement) -> set[str]:
    """The names ``statement`` binds, in its loops' tests too."""
    found = name_ids(statement, gast.Store)
    for node in walk(statement):
        found |= _stores_in(getattr(node, "chainrule_test", ()))
    return found


def _stores_in(statements) -> set[str]:
    return set().union(*map(_stores, statements)) if statements else set()


def _changing_statements(statements: list):
    for node in statements:
        if isinstance(node, gast.If):
            yield from _changing_statements(node.body)
            yield from _changing_statements(node.orelse)
        elif isinstance(node, (gast.For, gast.While)):
            yield from _changing_statements(getattr(node, "chainrule_test", []))
            yield from _changing_statements(node.body)
        elif getattr(node, "chainrule_changes", None):
            yield node


def index_source(index, helper) -> str:
    """An index of the normal form as the text of an expression (``slice(...)`` for
    slices)."""
    if isinstance(index, gast.Slice):
        parts = ["None" if part is None else to_source(part).strip()
                 for part in (index.lower, index.upper, index.step)]
        return f"{helper('slice', slice)}({', '.join(parts)})"
    if isinstance(index, gast.Tuple):
        return "(" + "".join(index_source(element, helper) + ", "
                             for element in index.elts) + ")"
    return to_source(index).strip()

