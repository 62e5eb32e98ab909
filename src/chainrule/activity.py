"""Activity analysis: which variables need an adjoint.

A variable is *varied* if its value depends differentiably on a parameter we differentiate
with respect to, and *useful* if it influences the returned value. Only variables that are both
(*active*) get adjoint code; everything else runs in the primal sweep only. The sets grow
monotonically, so passes repeat until nothing changes (loop-carried variables need more than
one).

Activity never vanishes: every operation goes through :func:`analyse`, which compares the names
its statement reads with the ones its gradient flows into (``inputs``). A name read besides
those must be covered by the operation's reason (an index, a comparison, a function of the
non-differentiable table); otherwise, if it depends on a differentiated input and the result
is used, the operation is refused rather than its result taken for a constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .operations import (CALL, COPY, INDEX, ITERATE, JOIN, PACK, REFUSED, RULE, STORE,
                         Operation)

# kinds of operation a gradient would flow through
FLOWS = {COPY, RULE, INDEX, PACK, REFUSED, ITERATE, CALL, STORE, JOIN}


@dataclass
class Activity:
    varied: set[str]
    useful: set[str]

    def active(self, name: str) -> bool:
        return name in self.varied and name in self.useful


def analyse(operations: list[Operation], wrt: list[str], result: str | None,
            refuse: Callable[[Operation, list[str]], Exception]) -> Activity:
    """The activity of every variable; ``refuse(op, names)`` makes the error for an operation
    that would drop the gradient of ``names``."""
    activity = _propagate(operations, wrt, result, {})
    unexplained = {id(op): names for op in operations if (names := _unexplained(op))}
    if unexplained:
        # What would be active if those names carried their gradient through: any of them
        # varied, with a result that is used, is a gradient that would silently vanish.
        wide = _propagate(operations, wrt, result, unexplained)
        for op in operations:
            names = unexplained.get(id(op))
            lost = [n for n in names or () if n in wide.varied]
            if lost and op.target in wide.useful:
                raise refuse(op, lost)
    return activity


def _unexplained(op: Operation) -> list[str]:
    """Names ``op`` reads, besides its inputs, that nothing says carry no gradient."""
    if not op.target or op.why_constant is not None:
        return []
    return sorted(op.operands() - set(op.inputs))


def _propagate(operations: list[Operation], wrt: list[str], result: str | None,
               extra: dict[int, list[str]]) -> Activity:
    flowing = [(op, op.inputs + extra.get(id(op), [])) for op in operations
               if op.target and (op.kind in FLOWS or id(op) in extra)]
    varied = set(wrt)
    changed = True
    while changed:
        changed = False
        for op, inputs in flowing:
            if op.target not in varied and any(i in varied for i in inputs):
                varied.add(op.target)
                changed = True
    useful = {result} if result else set()
    changed = True
    while changed:
        changed = False
        for op, inputs in reversed(flowing):
            if op.target in useful and not useful.issuperset(inputs):
                useful.update(inputs)
                changed = True
    return Activity(varied, useful)
