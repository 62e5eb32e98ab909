"""Activity analysis: which variables need an adjoint.

A variable is *varied* if its value depends differentiably on a parameter we differentiate
with respect to, and *useful* if it influences the returned value. Only variables that are both
(*active*) get adjoint code; everything else runs in the primal sweep only. The sets grow
monotonically, so passes repeat until nothing changes (loop-carried variables need more than
one).
"""

from __future__ import annotations

from dataclasses import dataclass

from .operations import CALL, COPY, INDEX, ITERATE, PACK, REFUSED, RULE, STORE, Operation

# kinds of operation a gradient would flow through
FLOWS = {COPY, RULE, INDEX, PACK, REFUSED, ITERATE, CALL, STORE}


@dataclass
class Activity:
    varied: set[str]
    useful: set[str]

    def active(self, name: str) -> bool:
        return name in self.varied and name in self.useful


def analyse(operations: list[Operation], wrt: list[str], result: str | None) -> Activity:
    flowing = [op for op in operations if op.kind in FLOWS and op.target]
    varied = set(wrt)
    changed = True
    while changed:
        changed = False
        for op in flowing:
            if op.target not in varied and any(i in varied for i in op.inputs):
                varied.add(op.target)
                changed = True
    useful = {result} if result else set()
    changed = True
    while changed:
        changed = False
        for op in reversed(flowing):
            if op.target in useful and not useful.issuperset(op.inputs):
                useful.update(op.inputs)
                changed = True
    return Activity(varied, useful)
