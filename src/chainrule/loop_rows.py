"""Rows that the sums after a reverse loop read, taken from the array they are rows of.

Batching (:mod:`chainrule.batching`) sums a loop's matrix-product adjoints after the reverse
loop, from the rows every turn used: ``Wx_bar = summed_matmul_adjoint_lhs(g_rows,
x_stack[::-1], Wx)``. Often those rows are the rows of an array the loop walks (``for x in
xs``, or ``x = xs[t]`` for ``t`` in a ``range``): the stack then holds views of that array,
one per turn. The sum reads the array itself instead (``indexed_rows(xs, x_indices)``, a
slice of it), and the primal pushes nothing: no list of views, no matrix rebuilt from them.

That the values are views is what makes this exact: a view taken in the loop reads the
array as it is when the sum runs, and so does the slice. So only arrays of two or more
dimensions qualify (a row of a vector is a copy), only names bound once (the name still holds
the array the loop walked), and only loops that run every turn (no ``break``).

The reverse loop also stops unpacking the values that only the sums read.
"""

from __future__ import annotations

import collections
from typing import Callable

import gast

from . import runtime
from .batching import call_of, stack_targets
from .inline import rewrite
from .syntax import clone, const, make, name, walk


def take_rows_from_arrays(loop, plan, reverse, after: list, body_reads: set[str],
                          function_body: list, locals_: set[str], rank: Callable,
                          length_of: Callable, fresh: Callable[[str], str],
                          helper: Callable) -> bool:
    """Rewrite ``after`` (the sums after the ``reverse`` loop of the primal ``loop``) to read
    rows from arrays where the stacks only held their rows, drop those stacks from ``plan``,
    and stop the reverse loop unpacking what its body no longer reads. ``plan.indices``
    gets the row numbers the primal binds before the loop. Returns whether any rows were
    taken from an array (a choice made on the dimensions ``rank`` gives)."""
    if not isinstance(reverse, gast.For):
        return False
    walked = stack_targets(reverse)
    stores = collections.Counter(n.id for n in walk(function_body) if isinstance(n, gast.Name)
                                 and isinstance(n.ctx, gast.Store))
    in_loop = {n.id for n in walk(loop) if isinstance(n, gast.Name)
               and isinstance(n.ctx, gast.Store)}
    range_ = helper("range", range)
    indices_names: dict = {}                        # one name per kind of row numbers
    taken = False
    for variable, stack in list(plan.saved_at_end.items()):
        if variable in body_reads or variable not in walked:
            continue
        _stop_unpacking(reverse, variable)
        source = _rows_source(loop, variable, stores, in_loop, locals_)
        if source is None or (rank(name(source[0])) or 0) < 2:
            continue
        array, backwards = source
        if backwards not in indices_names:
            indices_names[backwards] = fresh(f"{variable}_indices")
            plan.indices[indices_names[backwards]] = (
                clone(loop.iter) if backwards is None
                else _element_indices(range_, length_of(loop), backwards))
        rows = make(gast.Call, func=name(helper("indexed_rows", runtime.indexed_rows)),
                    args=[name(array), name(indices_names[backwards])], keywords=[])
        after[:] = [item if isinstance(item, str) else rewrite(item, {stack: rows})
                    for item in after]
        del plan.saved_at_end[variable]
        if variable in plan.preset:
            plan.preset.remove(variable)
        taken = True
    return taken


def _stop_unpacking(reverse, variable: str) -> None:
    """Drop ``variable`` from the reverse loop's targets (keeping one: the loop still runs
    once per primal turn)."""
    if not (isinstance(reverse.target, gast.Tuple) and call_of(reverse.iter, "zip")):
        return
    pairs = [(target, sequence) for target, sequence in
             zip(reverse.target.elts, reverse.iter.args)
             if not (isinstance(target, gast.Name) and target.id == variable)]
    if len(pairs) == 1:
        reverse.target, reverse.iter = pairs[0]
    else:
        reverse.target.elts = [target for target, _ in pairs]
        reverse.iter.args = [sequence for _, sequence in pairs]


def _rows_source(loop, variable: str, stores, in_loop: set[str], locals_: set[str]):
    """(array, how) if every turn of ``loop`` sets ``variable`` to a row of one array, else
    None. ``how`` is None for ``xs[t]`` (the rows the loop's ``range`` counts), else whether
    the loop walks the array backwards."""
    if not isinstance(loop, gast.For) or loop.chainrule_exit_flags or \
            loop.chainrule_exit_test is not None:
        return None                                 # a loop that may stop early

    def bound_once(array: str) -> bool:
        return array in locals_ and array not in in_loop and stores[array] <= 1

    elements = dict(loop.chainrule_elements)
    if variable in elements:                        # for x in xs, reversed(xs), zip(...)
        source = elements[variable]
        if source is None or not isinstance(source[0], gast.Name) or \
                not bound_once(source[0].id) or _stores_in(loop, variable) != 1:
            return None
        return source[0].id, source[1]
    # x = xs[t], t counting a range
    if len(elements) != 1 or next(iter(elements.values())) is not None:
        return None
    counter = next(iter(elements))
    if _stores_in(loop, variable) != 1 or _stores_in(loop, counter) != 1:
        return None
    for statement in loop.body:
        if isinstance(statement, gast.Assign) and len(statement.targets) == 1 and \
                isinstance(statement.targets[0], gast.Name) and \
                statement.targets[0].id == variable:
            value = statement.value
            if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) and \
                    isinstance(value.slice, gast.Name) and value.slice.id == counter and \
                    bound_once(value.value.id):
                return value.value.id, None
            return None
    return None


def _element_indices(range_: str, length, backwards: bool):
    """The row numbers a loop of ``length`` turns walks: ``range(length)``, or from the
    end for ``reversed``."""
    if not backwards:
        return make(gast.Call, func=name(range_), args=[length], keywords=[])
    return make(gast.Call, func=name(range_), args=[
        const(-1), make(gast.BinOp, left=const(-1), op=gast.Sub(), right=length), const(-1)],
        keywords=[])


def _stores_in(loop, variable: str) -> int:
    return sum(1 for n in walk(loop) if isinstance(n, gast.Name) and n.id == variable
               and isinstance(n.ctx, gast.Store))

