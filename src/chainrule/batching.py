"""Matrix-product adjoints summed over a loop as one product.

Differentiating ``h = np.tanh(W @ h)`` in a loop adds an outer product to ``W_bar`` on every
turn of the reverse loop (``W_bar = W_bar + matmul_adjoint_lhs(g, W, h_1)``): a small NumPy
call and a new W-sized array per iteration. When ``W`` does not change in the loop and nothing
else in the loop touches ``W_bar``, the reverse loop only collects the rows ``g`` and ``h_1``
and a single matrix product after it adds them all up (``G.T @ H``), the way backprop through
time is written by hand. Only the order of the additions changes.

Rows are collected once however many sums read them (``g`` of ``Wh @ h + Wx @ x`` feeds both
weight gradients), and a side that the reverse loop takes from a stack is that stack, read
backwards (``h_1_stack[::-1]``), not collected again. A loop that undoes element stores
(``h[0] = ...`` in the primal) is left as it is: its arrays change from turn to turn.
"""

from __future__ import annotations

import collections
from typing import Callable

import gast

from . import runtime
from .simplify import names_in
from .syntax import assign, const, make, name, walk

# per-iteration helper -> (summing helper, position of the matrix, position of the vector)
_SUMMED = {runtime.matmul_adjoint_lhs: ("summed_matmul_adjoint_lhs",
                                        runtime.summed_matmul_adjoint_lhs, 1, 2),
           runtime.matmul_adjoint_rhs: ("summed_matmul_adjoint_rhs",
                                        runtime.summed_matmul_adjoint_rhs, 2, 1)}


def sum_products_after(loop, helpers: dict[str, object], helper: Callable,
                       fresh: Callable[[str], str],
                       zero_before: set[str]) -> tuple[list, list, set[str]]:
    """Rewrite the reverse ``loop``'s accumulations of matrix-product adjoints into appends.

    Return the statements to put before the loop (empty lists), those after it (the sums),
    and the adjoints among ``zero_before`` (zero when the loop starts) that are now just
    their sum: these need no zero before the loop.
    """
    summed_by_name = {identifier: _SUMMED[function] for identifier, function in helpers.items()
                      if any(function is known for known in _SUMMED)}
    if not summed_by_name or _undoes_stores(loop, helpers):
        return [], [], set()
    reads, writes = names_in(loop)
    occurrences = collections.Counter(reads + writes)
    written = set(writes)
    matches = {}                           # position -> (adjoint, call, summing info)
    heading_at = {}
    heading = None
    for position, statement in enumerate(loop.body):
        if isinstance(statement, str):
            heading = statement
            continue
        matched = _accumulation(statement, summed_by_name)
        if matched is not None:
            matches[position] = matched
            heading_at[position] = heading
    per_adjoint = collections.Counter(adjoint for adjoint, _, _ in matches.values())
    # An adjoint is summed after the loop only if every occurrence of it in the loop is
    # such an accumulation and the loop leaves every matrix alone: all of them, or none.
    refused = {adjoint for adjoint, call, (_, _, matrix_at, _) in matches.values()
               if not isinstance(call.args[matrix_at], gast.Name)
               or call.args[matrix_at].id in written
               or occurrences[adjoint] != 2 * per_adjoint[adjoint]}
    rows = _Rows(loop, fresh)
    before, after, sums = [], [], []
    summed_alone = set()
    for position, (adjoint, call, (helper_name, function, matrix_at, vector_at)) in \
            matches.items():
        if adjoint in refused:
            continue
        comment = heading_at[position] and f"{heading_at[position]} (summed over the loop)"
        if comment and comment not in after:
            after.append(comment)
        total = make(gast.Call, func=name(helper(helper_name, function)), args=[
            rows.of(call.args[0], position), rows.of(call.args[vector_at], position),
            name(call.args[matrix_at].id)], keywords=[])
        sums.append(total)
        if adjoint in zero_before and adjoint not in summed_alone:
            summed_alone.add(adjoint)          # the sum starts from zero, as the loop did
        else:
            total = make(gast.BinOp, left=name(adjoint), op=gast.Add(), right=total)
        after.append(assign(adjoint, total))
    if not sums:
        return [], [], set()
    for position in sorted(matches, reverse=True):
        if matches[position][0] not in refused:
            loop.body[position:position + 1] = rows.appends_at.get(position, [])
    for collected in rows.collected:
        before.append(assign(collected, make(gast.List, elts=[], ctx=gast.Load())))
    # Rows read by several sums are made one matrix once, before the first.
    read_by = collections.Counter(argument.id for total in sums for argument in total.args[:2]
                                  if isinstance(argument, gast.Name))
    shared = [collected for collected in rows.collected if read_by[collected] > 1]
    stacking = [assign(collected, make(gast.Call, func=name(helper(
        "stacked_rows", runtime.stacked_rows)), args=[name(collected)], keywords=[]))
        for collected in shared]
    first_sum = next(i for i, item in enumerate(after) if not isinstance(item, str))
    after[first_sum:first_sum] = stacking
    return before, after, summed_alone


class _Rows:
    """The per-iteration values the sums read, as expressions valid after the loop: a list
    the loop appends to, or a stack the loop reads from (backwards)."""

    def __init__(self, loop, fresh: Callable[[str], str]):
        self.fresh = fresh
        self.from_stack = stack_targets(loop)
        self.writes_at = collections.defaultdict(list)     # name -> body positions
        for position, statement in enumerate(loop.body):
            for written in set(names_in(statement)[1]):
                self.writes_at[written].append(position)
        self.collected: list[str] = []                     # lists the loop appends to
        self.list_of: dict[str, str] = {}                  # shared value -> its list
        self.appends_at: dict[int, list] = collections.defaultdict(list)

    def of(self, value, position: int):
        """The rows of ``value`` (read by the accumulation at ``position``)."""
        if isinstance(value, gast.Name) and value.id in self.from_stack and \
                not self.writes_at[value.id]:
            return make(gast.Subscript, value=name(self.from_stack[value.id]),
                        slice=make(gast.Slice, lower=None, upper=None, step=const(-1)),
                        ctx=gast.Load())
        # One list for a name read by several accumulations, when they all see one value:
        # assigned at most once in the body, before the first of them.
        shareable = isinstance(value, gast.Name) and len(self.writes_at[value.id]) <= 1 and \
            all(at < position for at in self.writes_at[value.id])
        if shareable and value.id in self.list_of:
            return name(self.list_of[value.id])
        collected = self.fresh(f"{value.id}_rows" if isinstance(value, gast.Name) else "rows")
        self.collected.append(collected)
        if shareable:
            self.list_of[value.id] = collected
        self.appends_at[position].append(make(gast.Expr, value=make(gast.Call, func=make(
            gast.Attribute, value=name(collected), attr="append", ctx=gast.Load()),
            args=[value], keywords=[])))
        return name(collected)


def _undoes_stores(loop, helpers: dict[str, object]) -> bool:
    """Whether the loop puts back elements the primal overwrote (``restore_item``): each turn
    then sees its arrays in their state at that turn, and rows read after the loop would all
    see the state before it."""
    restoring = {identifier for identifier, function in helpers.items()
                 if function is runtime.restore_item}
    return bool(restoring) and any(
        isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
        and node.func.id in restoring for node in walk(loop))


def stack_targets(loop) -> dict[str, str]:
    """Loop target -> the stack it walks, for ``for a in reversed(s)`` and ``for a, b in
    zip(reversed(s), reversed(t))`` (how an outermost reverse loop reads its stacks)."""
    targets = loop.target.elts if isinstance(loop.target, gast.Tuple) else [loop.target]
    sequences = [loop.iter]
    if call_of(loop.iter, "zip"):
        sequences = loop.iter.args
    if len(sequences) != len(targets):
        return {}
    found = {}
    for target, sequence in zip(targets, sequences):
        if isinstance(target, gast.Name) and call_of(sequence, "reversed") and \
                len(sequence.args) == 1 and isinstance(sequence.args[0], gast.Name):
            found[target.id] = sequence.args[0].id
    return found


def call_of(node, function: str) -> bool:
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
        node.func.id == function and not node.keywords


def _accumulation(statement, summed_by_name: dict):
    """(adjoint, call, summing info) if ``statement`` is ``a = a + helper(g, x, y)`` for a
    per-iteration matrix-product helper, else None."""
    if not (isinstance(statement, gast.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0], gast.Name)):
        return None
    adjoint, value = statement.targets[0].id, statement.value
    if not (isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add)
            and isinstance(value.left, gast.Name) and value.left.id == adjoint
            and isinstance(value.right, gast.Call) and isinstance(value.right.func, gast.Name)
            and value.right.func.id in summed_by_name and len(value.right.args) == 3
            and not value.right.keywords):
        return None
    return adjoint, value.right, summed_by_name[value.right.func.id]
