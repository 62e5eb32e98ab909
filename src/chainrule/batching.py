"""Matrix-product adjoints summed over a loop as one product.

Differentiating ``h = np.tanh(W @ h)`` in a loop adds an outer product to ``W_bar`` on every
turn of the reverse loop (``W_bar = W_bar + matmul_adjoint_lhs(g, W, h_1)``): a small NumPy
call and a new W-sized array per iteration. When ``W`` does not change in the loop and nothing
else in the loop touches ``W_bar``, the reverse loop only collects the pairs ``(g, h_1)`` and a
single matrix product after it adds them all up (``G.T @ H``), the way backprop through time
is written by hand. Only the order of the additions changes.
"""

from __future__ import annotations

import collections
from typing import Callable

import gast

from . import runtime
from .simplify import names_in
from .syntax import assign, make, name

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
    if not summed_by_name:
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
    before, after = [], []
    summed_alone = set()
    terms_of = {}                          # (adjoint, summing helper, matrix) -> its list
    for position, (adjoint, call, (helper_name, function, matrix_at, vector_at)) in \
            matches.items():
        if adjoint in refused:
            continue
        matrix = call.args[matrix_at]
        key = (adjoint, helper_name, matrix.id)
        if key not in terms_of:
            terms_of[key] = fresh(f"{adjoint}_terms")
            before.append(assign(terms_of[key], make(gast.List, elts=[], ctx=gast.Load())))
            comment = heading_at[position] and f"{heading_at[position]} (summed over the loop)"
            if comment and comment not in after:
                after.append(comment)
            total = make(gast.Call, func=name(helper(helper_name, function)),
                         args=[name(terms_of[key]), name(matrix.id)], keywords=[])
            if adjoint in zero_before and adjoint not in summed_alone:
                summed_alone.add(adjoint)      # the sum starts from zero, as the loop did
            else:
                total = make(gast.BinOp, left=name(adjoint), op=gast.Add(), right=total)
            after.append(assign(adjoint, total))
        pair = make(gast.Tuple, elts=[call.args[0], call.args[vector_at]], ctx=gast.Load())
        loop.body[position] = make(gast.Expr, value=make(gast.Call, func=make(
            gast.Attribute, value=name(terms_of[key]), attr="append", ctx=gast.Load()),
            args=[pair], keywords=[]))
    return before, after, summed_alone


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
