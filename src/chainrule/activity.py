"""Activity analysis: which variables need an adjoint.

A variable is *varied* if its value depends differentiably on a parameter we differentiate
with respect to, and *useful* if it influences the returned value. Only variables that are both
(*active*) get adjoint code; everything else runs in the primal sweep only. In the normal form
every local is assigned once, so one forward and one backward pass settle both sets.
"""

from __future__ import annotations

from dataclasses import dataclass

from .operations import COPY, INDEX, PACK, REFUSED, RULE, Operation

FLOWS = {COPY, RULE, INDEX, PACK, REFUSED}   # kinds through which a gradient would flow


@dataclass
class Activity:
    varied: set[str]
    useful: set[str]

    def active(self, name: str) -> bool:
        return name in self.varied and name in self.useful


def analyse(operations: list[Operation], wrt: list[str], result: str | None) -> Activity:
    varied = set(wrt)
    for op in operations:
        if op.kind in FLOWS and op.target and any(i in varied for i in op.inputs):
            varied.add(op.target)
    useful = {result} if result else set()
    for op in reversed(operations):
        if op.kind in FLOWS and op.target in useful:
            useful.update(op.inputs)
    return Activity(varied, useful)
