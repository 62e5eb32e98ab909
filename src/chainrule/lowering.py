"""Rewrite ``return``/``break``/``continue`` in the middle of code into flags and guards.

After lowering, the function has one ``return`` at its end, and loops have no ``break`` or
``continue``: the reverse sweep then only deals with ``if`` and with loops that run whole
iterations. For example::

    for x in xs:                        broke = False
        if x > limit:                   for x in xs:
            break               ->          if x > limit:
        total = total + x                       broke = True
                                            if not broke:
                                                total = total + x
                                            (the loop exits when `broke` is set)

An ``if`` whose every branch returns needs no flag: what follows it is unreachable. A loop's
exit flags are attached to it (``loop.chainrule_exit_flags``); the normal form ends each
iteration with ``if <flags>: break``. A loop's ``else`` runs when it did not break.
"""

from __future__ import annotations

import gast

from .naming import Namer
from .syntax import assign, const, make, name, walk


def _located(node, at):
    for inner in walk(node):
        if getattr(inner, "lineno", None) is None:
            gast.copy_location(inner, at)
    return node


def _not_any(flags: list[str]):
    test = name(flags[0]) if len(flags) == 1 else make(
        gast.BoolOp, op=gast.Or(), values=[name(f) for f in flags])
    return make(gast.UnaryOp, op=gast.Not(), operand=test)


def _always_exits(statements: list) -> bool:
    """Every path through ``statements`` ends in return/break/continue."""
    for statement in statements:
        if isinstance(statement, (gast.Return, gast.Break, gast.Continue)):
            return True
        if isinstance(statement, gast.If) and _always_exits(statement.body) \
                and _always_exits(statement.orelse):
            return True
    return False


def _contains(statements: list, kinds, into_loops: bool) -> bool:
    for statement in statements:
        if isinstance(statement, kinds):
            return True
        if isinstance(statement, gast.If):
            if _contains(statement.body, kinds, into_loops) or \
                    _contains(statement.orelse, kinds, into_loops):
                return True
        if isinstance(statement, (gast.For, gast.While)):
            if into_loops and _contains(statement.body + statement.orelse, kinds, into_loops):
                return True
            if _contains(statement.orelse, kinds, into_loops):
                return True
    return False


class _Loop:
    def __init__(self, broke: str | None, skip: str | None):
        self.broke = broke
        self.skip = skip


class ExitLowering:
    def __init__(self, namer: Namer):
        self.namer = namer
        self.result: str | None = None
        self.returned: str | None = None
        self.flags_used: set[str] = set()

    def function(self, node: gast.FunctionDef) -> list:
        body = node.body
        last = body[-1] if body else None
        simple = isinstance(last, gast.Return) and not _contains(body[:-1], gast.Return, True)
        if simple or not _contains(body, gast.Return, True):
            return self.block(body, None)
        self.result = self.namer.fresh("result")
        self.returned = self.namer.fresh("returned")
        lowered = self.block(body, None, tail=True)
        prologue = [] if _always_exits(body) else [
            _located(assign(self.result, const(None)), node)]
        if self.returned in self.flags_used:
            prologue.append(_located(assign(self.returned, const(False)), node))
        else:
            lowered = _drop_assignments(lowered, self.returned)
        end = _located(make(gast.Return, value=name(self.result)), last or node)
        return prologue + lowered + [end]

    # -- blocks -----------------------------------------------------------------------------

    def exit_flags(self, statements: list, loop: _Loop | None) -> list[str]:
        """Flags that running ``statements`` may set and that end the enclosing block."""
        flags = []
        if self.returned and _contains(statements, gast.Return, True):
            flags.append(self.returned)
        if loop and loop.broke and _contains(statements, gast.Break, False):
            flags.append(loop.broke)
        if loop and loop.skip and _contains(statements, gast.Continue, False):
            flags.append(loop.skip)
        return flags

    def block(self, statements: list, loop: _Loop | None, tail: bool = False) -> list:
        """Lower ``statements``; ``tail`` means nothing runs after them (function end), so a
        return there needs no flag."""
        out = []
        for position, statement in enumerate(statements):
            rest = statements[position + 1:]
            last = tail and not rest
            if isinstance(statement, gast.Return):
                if self.result is None:
                    out.append(statement)                 # the function's final return
                    return out
                value = statement.value if statement.value is not None else const(None)
                out.append(_located(assign(self.result, value), statement))
                if not (tail and loop is None):
                    out.append(_located(assign(self.returned, const(True)), statement))
                return out
            if isinstance(statement, gast.Break):
                out.append(_located(assign(loop.broke, const(True)), statement))
                return out
            if isinstance(statement, gast.Continue):
                if loop.skip:
                    out.append(_located(assign(loop.skip, const(True)), statement))
                return out
            if isinstance(statement, gast.If):
                if rest and _always_exits(statement.body) != _always_exits(statement.orelse):
                    # A guard clause: what follows runs only in the branch that goes on, so
                    # it moves into that branch and needs no flag.
                    guard = gast.copy_location(make(
                        gast.If, test=statement.test,
                        body=statement.body + ([] if _always_exits(statement.body) else rest),
                        orelse=statement.orelse + (
                            [] if _always_exits(statement.orelse) else rest)), statement)
                    return out + self.block([guard], loop, tail)
                exits = _always_exits([statement])
                branch_tail = last or (tail and exits)
                lowered = make(gast.If, test=statement.test,
                               body=self.block(statement.body, loop, branch_tail)
                               or [make(gast.Pass)],
                               orelse=self.block(statement.orelse, loop, branch_tail))
                out.append(gast.copy_location(lowered, statement))
                if exits:
                    return out
                flags = self.exit_flags([statement], loop)
                if flags and rest:
                    return out + self.guarded(rest, flags, loop, statement, tail)
                continue
            if isinstance(statement, (gast.For, gast.While)):
                lowered_loop, after = self.loop(statement)
                out.extend(lowered_loop)
                rest = after + rest                      # a loop's else runs after it
                flags = [self.returned] if self.returned and _contains(
                    [statement], gast.Return, True) else []
                if flags and rest:
                    return out + self.guarded(rest, flags, loop, statement, tail)
                out.extend(self.block(rest, loop, tail))
                return out
            out.append(statement)
        return out

    def guarded(self, rest: list, flags: list[str], loop, at, tail: bool) -> list:
        self.flags_used.update(flags)
        guard = make(gast.If, test=_not_any(flags), body=self.block(rest, loop, tail),
                     orelse=[])
        return [_located(guard, at)]

    def loop(self, statement) -> list:
        body = statement.body
        last = body[-1] if body else None
        if (isinstance(last, gast.If) and not last.orelse and len(last.body) == 1
                and isinstance(last.body[0], gast.Break) and not statement.orelse
                and not _contains(body[:-1], (gast.Break, gast.Continue, gast.Return), False)
                and not _contains(body, gast.Return, True)):
            # `if c: break` as the last statement: the loop leaves when c holds at the end
            # of an iteration; no flag needed.
            lowered = make(type(statement), **{f: getattr(statement, f) for f in
                                               statement._fields})
            lowered.body = self.block(body[:-1], _Loop(None, None)) or [make(gast.Pass)]
            lowered.orelse = []
            lowered.chainrule_exit_flags = []
            lowered.chainrule_exit_test = last.test
            lowered.chainrule_exit_statement = last
            gast.copy_location(lowered, statement)
            return [lowered], []
        breaks = _contains(body, gast.Break, False)
        continues_early = _contains(body, gast.Continue, False) and not self._continue_is_tail(
            body)
        state = _Loop(self.namer.fresh("broke") if breaks else None,
                      self.namer.fresh("skip") if continues_early else None)
        new_body = self.block(body, state)
        before = []
        if state.broke:
            before.append(_located(assign(state.broke, const(False)), statement))
        if state.skip:
            new_body = [_located(assign(state.skip, const(False)), statement)] + new_body
        lowered = make(type(statement), **{f: getattr(statement, f) for f in
                                           statement._fields})
        lowered.body = new_body or [make(gast.Pass)]
        lowered.orelse = []
        gast.copy_location(lowered, statement)
        exits = [f for f in (state.broke,) if f]
        if self.returned and _contains(body, gast.Return, True):
            exits.append(self.returned)
            self.flags_used.add(self.returned)
        lowered.chainrule_exit_flags = exits
        after = list(statement.orelse)
        if after and state.broke:
            after = [_located(make(gast.If, test=_not_any([state.broke]), body=after,
                                   orelse=[]), statement.orelse[0])]
        return before + [lowered], after

    @staticmethod
    def _continue_is_tail(body: list) -> bool:
        """``continue`` only as the very last statement (it changes nothing then)."""
        return isinstance(body[-1], gast.Continue) and not _contains(body[:-1], gast.Continue,
                                                                     False)


def _drop_assignments(statements: list, flag: str) -> list:
    """Remove ``flag = ...`` statements (a flag that no guard ended up reading)."""
    kept = []
    for statement in statements:
        if isinstance(statement, gast.Assign) and isinstance(statement.targets[0], gast.Name) \
                and statement.targets[0].id == flag:
            continue
        for field in ("body", "orelse"):
            if hasattr(statement, field) and isinstance(getattr(statement, field), list):
                setattr(statement, field, _drop_assignments(getattr(statement, field), flag))
        kept.append(statement)
    return kept


def lower_exits(node: gast.FunctionDef, namer: Namer) -> list:
    """The function body with every return/break/continue lowered (see module docstring)."""
    return ExitLowering(namer).function(node)
