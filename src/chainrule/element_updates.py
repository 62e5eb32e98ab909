"""Element stores in a loop: the array's cotangent updated in place, not copied each turn.

A loop that writes rows of a preallocated array (``h[t + 1] = np.tanh(W @ h[t])``) has, on
every turn of its reverse, ``h_bar = without_item(h_bar, t6)`` (the stored slot's cotangent
is used up) and ``h_bar = accumulate(h_bar, index_adjoint(t3_bar, h, t))`` (the read row's
cotangent added). Both make a new array the size of ``h``: the reverse sweep grows with the
square of the number of turns. Where the loop's only uses of ``h_bar`` are those two and
``item_cotangent(h_bar, ...)`` (which copies what it takes), ``h_bar`` is made a private
copy once before the loop and both are done in place (``zeroed_at``, ``added_at``): linear,
like hand-written backprop. Any other use of ``h_bar`` in the loop leaves it as it is, since
another name might then hold the array being changed.
"""

from __future__ import annotations

from typing import Callable

import gast

from . import runtime
from .syntax import assign, make, name, name_ids, walk


def update_in_place(loop, adjoints: list[str], helpers: dict[str, object],
                    helper: Callable) -> list:
    """Rewrite the reverse ``loop``'s copying element updates of the array cotangents among
    ``adjoints`` into in-place ones; return the statements to put before the loop."""
    before = []
    for adjoint in adjoints:
        rewrites = _updates(loop.body, adjoint, helpers)
        if not rewrites:
            continue
        for position, (kind, arguments) in rewrites.items():
            function = (helper("zeroed_at", runtime.zeroed_at) if kind == "zero"
                        else helper("added_at", runtime.added_at))
            arguments = [name(adjoint)] + arguments
            loop.body[position] = assign(adjoint, make(
                gast.Call, func=name(function), args=arguments, keywords=[]))
        before.append(assign(adjoint, make(gast.Call, func=name(helper(
            "own_cotangent", runtime.own_cotangent)), args=[name(adjoint)], keywords=[])))
    return before


def _updates(body: list, adjoint: str, helpers: dict) -> dict[int, tuple] | None:
    """Position -> ("zero", [index]) or ("add", [index, value, array]) for each update of
    ``adjoint`` in ``body``, if every use of it there is one of those or the array
    ``item_cotangent`` takes from; else None."""
    found = {}
    for position, statement in enumerate(body):
        if isinstance(statement, str) or adjoint not in name_ids(statement):
            continue
        update = _update(statement, adjoint, helpers)
        if update is not None:
            found[position] = update
        elif not _only_item_taken(statement, adjoint, helpers):
            return None
    return found or None


def _update(statement, adjoint: str, helpers: dict):
    if not (isinstance(statement, gast.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0], gast.Name)
            and statement.targets[0].id == adjoint):
        return None
    value = statement.value
    if _call_of(value, helpers, runtime.without_item, 2) and _is_name(value.args[0], adjoint) \
            and adjoint not in name_ids(value.args[1]):
        return "zero", [value.args[1]]
    added = None
    if _call_of(value, helpers, runtime.accumulate, 2) and _is_name(value.args[0], adjoint):
        added = value.args[1]                               # accumulate(X, index_adjoint(...))
    elif isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add) and \
            _is_name(value.left, adjoint):
        added = value.right                                 # X + index_adjoint(...)
    if added is not None and _call_of(added, helpers, runtime.index_adjoint, 3) and \
            adjoint not in name_ids(added):
        return "add", [added.args[2], added.args[0], added.args[1]]
    return None


def _only_item_taken(statement, adjoint: str, helpers: dict) -> bool:
    """Whether ``adjoint`` occurs in ``statement`` only as the array of ``item_cotangent``
    (assigned to another name)."""
    if not (isinstance(statement, gast.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0], gast.Name)
            and statement.targets[0].id != adjoint):
        return False
    taken = [node for node in walk(statement.value)
             if _call_of(node, helpers, runtime.item_cotangent, 3)
             and _is_name(node.args[0], adjoint)]
    uses = sum(1 for node in walk(statement) if isinstance(node, gast.Name)
               and node.id == adjoint)
    return bool(taken) and uses == len(taken) and all(
        adjoint not in name_ids(node.args[1:]) for node in taken)


def _call_of(node, helpers: dict, function, arity: int) -> bool:
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
        helpers.get(node.func.id) is function and len(node.args) == arity and \
        not node.keywords


def _is_name(node, identifier: str) -> bool:
    return isinstance(node, gast.Name) and node.id == identifier
