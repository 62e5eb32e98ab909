"""The function's value, left out of a gradient that does not return it.

``grad(f)`` returns the gradient only. The reverse sweep of a loss like
``np.mean((out - Y) ** 2)`` reads ``out - Y``, but not the square nor the mean: those are
computed only to check that ``f`` returns a real scalar (``scalar_seed``). Where the shape
analysis already knows that (a NumPy value of shape ``()``, with every array argument of a
floating dtype: integer and boolean arithmetic can raise), the seed is just ``1.0`` and the
statements that only fed the value go, as hand-written backprop leaves them out. On arrays of this size the saving is
more than the arithmetic: every NumPy call right after large matrix products runs several
times slower than alone.

Only top-level statements that cannot raise nor change anything go: NumPy functions and
operators on NumPy values of known shapes (no Python numbers, whose ``1 / 0`` raises; no
calls of your functions). A value read only for its size (``np.size(t3)`` in the rule of
``np.mean``) is read from an argument of the same shape instead.
"""

from __future__ import annotations

import operator

import gast
import numpy as np

from .kinds import NUMERIC
from .operations import CONSTANT, COPY, RULE
from .shapes import UNKNOWN
from .simplify import names_in
from .syntax import const, name, walk

_OPERATORS = {value for value in vars(operator).values() if callable(value)}


def result_is_real_scalar(result: str | None, function_body: list, operations: dict, kinds,
                          shapes) -> bool:
    """Whether the function's ``result`` is known to be a real NumPy scalar for every
    argument of this shape class: made once, at the top level, by a NumPy function or an
    operator on NumPy values, to shape ``()``."""
    if shapes is None or result is None or shapes.of.get(result) != ():
        return False
    stores = [n for n in walk(function_body) if isinstance(n, gast.Name)
              and isinstance(n.ctx, gast.Store) and n.id == result]
    making = [statement for statement in function_body if _target(statement) == result]
    if len(stores) != 1 or len(making) != 1 or not _harmless(making[0], operations, kinds,
                                                               shapes):
        return False
    op = operations[id(making[0])][-1]
    if op.kind != RULE or op.target != result:
        return False
    from_numpy = isinstance(op.callee, np.ufunc) or op.callee not in _OPERATORS or any(
        kinds.atom(atom) == NUMERIC for atom in op.arguments.values())
    return from_numpy and not any(isinstance(n, gast.Constant) and isinstance(n.value, complex)
                                  for n in walk(function_body))


def drop_dead_statements(primal: list, reverse: list, returned: set[str], operations: dict,
                         kinds, shapes, parameters: list[str]) -> None:
    """Remove from ``primal`` (in place) the statements whose values nothing reads: not the
    rest of the primal, not the ``reverse`` sweep, not the ``returned`` names."""
    same_shape = {}
    for parameter in parameters:
        shape = shapes.of.get(parameter)
        if shape not in (None, UNKNOWN) and kinds.get(parameter) == NUMERIC:
            same_shape.setdefault(shape, parameter)
    while True:
        # Only the reverse sweep's sizes are rewritten: primal statements may be shared
        # with the cached normal form.
        reads, sized = _reads(reverse)
        primal_reads, primal_sized = _reads(primal)
        reads |= returned | primal_reads | set(primal_sized)
        # Every statement nothing reads goes at once; what only they read goes next pass.
        dead = [position for position, item in enumerate(primal)
                if _unread(item, reads, sized, operations, kinds, shapes, same_shape)]
        if not dead:
            return
        for position in reversed(dead):
            del primal[position]


def _unread(item, reads: set[str], sized: dict, operations: dict, kinds, shapes,
            same_shape: dict) -> bool:
    """Whether ``item`` is a harmless statement whose value nothing reads (a read only of
    its size is moved to an argument of the same shape)."""
    target = _target(item)
    if target is None or target in reads or not _harmless(item, operations, kinds, shapes):
        return False
    return target not in sized or _read_size_elsewhere(target, sized[target], shapes,
                                                       same_shape)


def _target(item) -> str | None:
    if isinstance(item, gast.Assign) and len(item.targets) == 1 and \
            isinstance(item.targets[0], gast.Name):
        return item.targets[0].id
    return None


def _harmless(statement, operations: dict, kinds, shapes) -> bool:
    ops = operations.get(id(statement))
    if not ops:
        return False
    for op in ops:
        if op.kind in (COPY, CONSTANT):
            continue
        if op.kind != RULE or not (isinstance(op.callee, np.ufunc) or op.callee in _OPERATORS
                                   or getattr(op.callee, "__module__", "").startswith("numpy")):
            return False
        if shapes.of.get(op.target) in (None, UNKNOWN):
            return False
        for atom in op.arguments.values():
            if isinstance(atom, gast.Constant):
                if isinstance(atom.value, complex):
                    return False
            elif kinds.atom(atom) != NUMERIC or shapes.atom(atom) in (None, UNKNOWN):
                return False
    return True


def _reads(items: list) -> tuple[set[str], dict[str, list]]:
    """Names read anywhere in ``items``, except as the argument of ``np.size(...)``; for
    those, where the calls are: the ``(node, field, index)`` steps down to each."""
    reads, sized = set(), {}

    def visit(node, path: list) -> None:
        if _size_call(node):
            sized.setdefault(node.args[0].id, []).append(path)
            return
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            reads.add(node.id)
        for field, value in gast.iter_fields(node):
            if isinstance(value, list):
                for index, child in enumerate(value):
                    if isinstance(child, gast.AST):
                        visit(child, path + [(node, field, index)])
            elif isinstance(value, gast.AST):
                visit(value, path + [(node, field, None)])

    for item in items:
        if isinstance(item, str):
            reads.update(names_in(item)[0])      # a check written as a line of text
        else:
            visit(item, [])
    return reads, sized


def _size_call(node) -> bool:
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
        node.func.attr == "size" and isinstance(node.func.value, gast.Name) and \
        node.func.value.id == "np" and len(node.args) == 1 and not node.keywords and \
        isinstance(node.args[0], gast.Name)


def _read_size_elsewhere(variable: str, places: list, shapes, same_shape: dict) -> bool:
    """Make the ``np.size(variable)`` calls read an argument of the same shape, or be 1 for
    a scalar (``n / np.size(s)`` becomes ``n``); False if there is no such argument."""
    shape = shapes.of.get(variable)
    if shape in (None, UNKNOWN) or (shape != () and shape not in same_shape):
        return False
    for path in places:
        call = _at(path[-1])
        if shape != ():
            call.args = [name(same_shape[shape])]
            continue
        parent, field, _ = path[-1]
        if isinstance(parent, gast.BinOp) and isinstance(parent.op, gast.Div) and \
                field == "right" and len(path) > 1:
            _put(path[-2], parent.left)                  # n / 1 is n
        else:
            _put(path[-1], const(1))
    return True


def _at(step):
    node, field, index = step
    return getattr(node, field) if index is None else getattr(node, field)[index]


def _put(step, replacement) -> None:
    node, field, index = step
    if index is None:
        setattr(node, field, replacement)
    else:
        getattr(node, field)[index] = replacement


def without_orphan_comments(lines: list) -> list:
    """``lines`` without the ``# line N`` comments left heading no statement."""
    kept = []
    for position, item in enumerate(lines):
        following = lines[position + 1] if position + 1 < len(lines) else None
        if isinstance(item, str) and item.startswith("# line") and (
                following is None or (isinstance(following, str)
                                      and following.startswith("#"))):
            continue
        kept.append(item)
    return kept
