"""A full reduction's cotangent kept as the scalar it is, where NumPy broadcasts it anyway.

The cotangent of ``a`` in ``np.sum(a)`` is the result's cotangent ``g`` spread over ``a``'s
shape (``np.broadcast_to(g, np.shape(a))``; ``g / count`` for ``np.mean``). The statement
that made ``a`` is usually elementwise (``a = h * h``, ``a = d ** 2``), and its rule
multiplies that cotangent by an operand of ``a``'s shape: the scalar itself gives the same
numbers, with no array to broadcast and none to multiply by. For ``np.sum(h * h)`` the
gradient becomes ``out_bar * h + out_bar * h`` (hand-written backprop: ``2.0 * h``).

The scalar stands in for the broadcast only at a statement the shape analysis vouches for:

* an elementwise (broadcasting) callee, the reduced array's shape known,
* whose every cotangent reads the value (not only the shape) of the result or of an
  operand of the result's shape, so that it has that shape too. (``a = b + c`` gives
  ``b`` the cotangent ``g`` itself, and ``a = 2.0 * b`` gives ``g * 2.0``: these keep the
  broadcast.)

The broadcast statement goes when nothing reads it any more.
"""

from __future__ import annotations

import gast
import numpy as np

from .shapes import UNKNOWN, broadcasts, only_defaults
from .syntax import assign, name, name_ids

_SHAPE_ONLY = {"shape", "size", "ndim", "dtype"}      # what a value is read for, not its items


class ScalarCotangents:
    def __init__(self, shapes):
        self.shapes = shapes
        self.scalar_of: dict[str, str] = {}     # adjoint name -> the scalar it broadcasts
        self.statements: list = []              # the broadcasts, dropped later if unread

    def record(self, op, inlined, fresh) -> None:
        """After ``np.sum(a)`` or ``np.mean(a)`` (whole array, defaults) was inlined: note
        that ``a``'s cotangent broadcasts a scalar, named (``a_scale = g / count``) if it
        is an expression."""
        if op.callee not in (np.sum, np.mean) or not only_defaults(op):
            return
        cotangent = next(iter(inlined.cotangents.values()), None)
        if not isinstance(cotangent, gast.Name):
            return
        for position, statement in enumerate(inlined.statements):
            if not (isinstance(statement, gast.Assign) and len(statement.targets) == 1
                    and isinstance(statement.targets[0], gast.Name)
                    and statement.targets[0].id == cotangent.id):
                continue
            value = statement.value
            if not (isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute)
                    and value.func.attr == "broadcast_to" and len(value.args) == 2
                    and not value.keywords):
                return
            scalar = value.args[0]
            if not isinstance(scalar, gast.Name):
                scale = fresh(f"{cotangent.id}_scale")
                inlined.statements.insert(position, assign(scale, scalar))
                value.args[0] = scalar = name(scale)
            self.scalar_of[cotangent.id] = scalar.id
            self.statements.append(statement)
            return

    def forget(self, adjoint: str) -> None:
        """``adjoint`` is assigned again: it no longer holds the broadcast scalar."""
        self.scalar_of.pop(adjoint, None)

    def scalar_for(self, op, adjoint: str) -> str | None:
        """The scalar that may stand in for ``adjoint`` in the rule of ``op``, if any."""
        scalar = self.scalar_of.get(adjoint)
        if scalar is None or not broadcasts(op.callee):
            return None
        shape = self.shapes.of.get(op.target)
        return None if shape in (None, UNKNOWN) else scalar

    def full_shaped(self, op, inlined) -> bool:
        """Whether every cotangent of ``inlined`` reads the value of ``op``'s result or of
        an operand of the result's shape (so that it has that shape too)."""
        shape = self.shapes.of.get(op.target)
        arrays = {atom.id for atom in op.arguments.values() if isinstance(atom, gast.Name)
                  and self.shapes.atom(atom) == shape}
        arrays.add(op.target)
        values = {statement.targets[0].id: statement.value for statement in inlined.statements
                  if isinstance(statement, gast.Assign) and len(statement.targets) == 1
                  and isinstance(statement.targets[0], gast.Name)}
        return all(_reads_value(cotangent, arrays, values, set())
                   for cotangent in inlined.cotangents.values())

    def drop_unread(self, items: list, read: set[str]) -> None:
        """Remove the broadcasts whose names nothing in ``items`` (nor ``read``) reads."""
        if not self.statements:
            return
        reads = read | name_ids([item for item in items if not isinstance(item, str)],
                                gast.Load)
        unread = {id(s) for s in self.statements if s.targets[0].id not in reads}
        if unread:
            _remove(items, unread)


def _reads_value(node, arrays: set[str], values: dict, seen: set[str]) -> bool:
    if isinstance(node, gast.Name):
        if node.id in arrays:
            return True
        if node.id in values and node.id not in seen:
            seen.add(node.id)
            return _reads_value(values[node.id], arrays, values, seen)
        return False
    if isinstance(node, gast.Attribute) and node.attr in _SHAPE_ONLY:
        return False
    if isinstance(node, gast.Call):
        function = node.func
        if (isinstance(function, gast.Attribute) and function.attr in _SHAPE_ONLY) or (
                isinstance(function, gast.Name) and function.id == "len"):
            return False
    return any(_reads_value(child, arrays, values, seen)
               for child in gast.iter_child_nodes(node))


def _remove(items: list, unread: set[int]) -> None:
    """Remove the statements ``unread`` (by id) from ``items`` and the blocks nested in it."""
    items[:] = [item for item in items if id(item) not in unread]
    for item in items:
        if isinstance(item, (gast.If, gast.For, gast.While)):
            _remove(item.body, unread)
            _remove(item.orelse, unread)
