"""Array shapes, as far as the generated code can know them from the arguments' shapes.

A gradient is specialized for a *shape class*, not for exact shapes: every argument dimension
other than 0 and 1 becomes a symbol (``"d0"``, ``"d1"``, ...), equal dimensions share a symbol.
``Wh`` (64, 64), ``h0`` (64,) and ``xs`` (50, 32) give ``("d0", "d0")``, ``("d0",)`` and
``("d1", "d2")``; a sequence of another length is the same class, so it reuses the code.
Within one class two symbols are never equal and never 0 or 1, which is all that NumPy's
broadcasting asks of a dimension, so the inferred shapes hold for every call of the class.

:class:`Shapes` infers the shape of each variable through the operations the class decides
(elementwise arithmetic and ufuncs, ``@``, full reductions, indexing by a loop counter) and
leaves the rest unknown. The reverse sweep uses it to drop ``unbroadcast`` where an operand
already has the result's shape: one Python call less per operation, and no need to keep the
operand for its shape.
"""

from __future__ import annotations

import operator

import gast
import numpy as np

from .kinds import NUMERIC, SCALAR, Kinds
from .operations import COPY, INDEX, ITERATE, RULE, Operation

Shape = tuple  # of dimensions: 0, 1 or a symbol such as "d0"

UNKNOWN = "unknown"    # a shape no analysis can promise (NumPy decides at run time)

_ELEMENTWISE = {operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
                operator.neg, operator.pos, operator.mod, operator.floordiv, abs}
_FULL_REDUCTIONS = {np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin}
_BROADCASTING = _ELEMENTWISE | {min, max, pow, np.where, np.clip}


def broadcasts(callee) -> bool:
    """Whether ``callee``'s result is its operands broadcast together (elementwise), so that
    an operand with the result's shape needs no ``unbroadcast``; not so for ``np.full``,
    ``np.broadcast_to`` and the like, whose shape comes from another argument."""
    return callee in _BROADCASTING or (isinstance(callee, np.ufunc) and
                                       callee.signature is None)   # not np.matmul


def shape_class(arguments: tuple) -> tuple:
    """Per argument, its shape with every dimension but 0 and 1 replaced by a symbol shared by
    equal dimensions; None for what is not a plain NumPy array or scalar of numbers. (An
    object array's elements, or a subclass's rows, need not have the shapes the rules of
    this module give them.)"""
    symbols: dict[int, str] = {}
    shapes = []
    for argument in arguments:
        if not (type(argument) is np.ndarray or isinstance(argument, np.generic)) or \
                argument.dtype.kind not in "biuf":
            shapes.append(None)
            continue
        shapes.append(tuple(size if size in (0, 1) else
                            symbols.setdefault(size, f"d{len(symbols)}")
                            for size in argument.shape))
    return tuple(shapes)


def broadcast(shapes: list) -> Shape | str:
    """The broadcast shape of ``shapes`` (NumPy's rule), or UNKNOWN."""
    if UNKNOWN in shapes:
        return UNKNOWN
    result: list = []
    for shape in shapes:
        if len(shape) > len(result):
            result = [1] * (len(shape) - len(result)) + result
        for axis, size in enumerate(shape, start=len(result) - len(shape)):
            if result[axis] == 1:
                result[axis] = size
            elif size != 1 and size != result[axis]:
                return UNKNOWN             # NumPy refuses these; the primal will say so
    return tuple(result)


def matmul(a: Shape | str, b: Shape | str) -> Shape | str:
    """The shape of ``a @ b`` for vectors and matrices, or UNKNOWN."""
    if a == UNKNOWN or b == UNKNOWN or not 1 <= len(a) <= 2 or not 1 <= len(b) <= 2:
        return UNKNOWN
    if a[-1] != (b[0] if len(b) == 1 else b[-2]):
        return UNKNOWN
    return a[:-1] + b[1:] if len(b) == 2 else a[:-1]


class Shapes:
    def __init__(self, kinds: Kinds, arguments: dict[str, Shape | None], counters: set[str]):
        self.kinds = kinds
        self.counters = counters               # names holding range values or indices
        self.of: dict[str, Shape | str] = {
            parameter: UNKNOWN if shape is None else shape
            for parameter, shape in arguments.items()}
        for parameter, kind in kinds.of.items():
            if kind == SCALAR:
                self.of[parameter] = ()       # Python numbers, range values, loop counters
        self.broadcasting: set[int] = set()   # ids of the operations whose result broadcasts

    def infer(self, operations: list[Operation]) -> None:
        """Shapes of every assigned variable; repeated until stable (a variable assigned
        several times, as a loop-carried one, keeps a shape only if all agree)."""
        changed = True
        while changed:
            changed = False
            for op in operations:
                if not op.target or self.of.get(op.target) == UNKNOWN:
                    continue
                shape = self.infer_one(op)
                if shape is None:
                    continue                          # an operand is not known yet
                old = self.of.get(op.target)
                new = shape if old is None or old == shape else UNKNOWN
                if new != old:
                    self.of[op.target] = new
                    changed = True

    def atom(self, atom) -> Shape | str | None:
        if isinstance(atom, gast.Constant):
            value = atom.value
            return () if isinstance(value, (int, float)) and not isinstance(value, bool) \
                else UNKNOWN
        if isinstance(atom, gast.Name) and atom.id in self.kinds.locals:
            if self.kinds.get(atom.id) == SCALAR:
                return ()
            return self.of.get(atom.id)
        return () if self.kinds.atom(atom) == SCALAR else UNKNOWN

    def infer_one(self, op: Operation) -> Shape | str | None:
        if op.kind == COPY:
            return self.of.get(op.inputs[0]) if op.inputs else UNKNOWN
        if op.kind == ITERATE:
            sequence = self.atom(op.arguments["sequence"])
            if sequence is None:
                return None
            if sequence == UNKNOWN or not sequence or \
                    self.kinds.atom(op.arguments["sequence"]) != NUMERIC:
                return UNKNOWN
            return sequence[1:]                  # the rows of an array
        if op.kind == INDEX:
            return self.indexed(op)
        if op.kind != RULE:
            return UNKNOWN
        if self.kinds.get(op.target) == SCALAR:
            return ()
        operands = [self.atom(a) for a in op.arguments.values()]
        if op.callee in _ELEMENTWISE or (broadcasts(op.callee) and
                                         isinstance(op.callee, np.ufunc) and
                                         len(operands) == op.callee.nin):
            if None in operands:
                return None
            self.broadcasting.add(id(op))
            return broadcast(operands)
        if op.callee is operator.matmul or op.callee is np.matmul:
            if None in operands:
                return None
            return matmul(*operands)
        if op.callee in _FULL_REDUCTIONS and only_defaults(op):
            return () if operands[0] is not None else None
        return UNKNOWN

    def indexed(self, op: Operation) -> Shape | str | None:
        """``x[i]`` for an array ``x`` and an integer ``i`` (a literal or a loop counter)."""
        if not isinstance(op.statement.value, gast.Subscript):
            return UNKNOWN
        index = op.statement.value.slice
        array = op.statement.value.value
        if not (isinstance(index, gast.Constant) and type(index.value) is int or
                isinstance(index, gast.Name) and index.id in self.counters):
            return UNKNOWN
        shape = self.atom(array)
        if shape is None:
            return None
        if shape == UNKNOWN or not shape or self.kinds.atom(array) != NUMERIC:
            return UNKNOWN
        return shape[1:]

    def rank(self, atom) -> int | None:
        """The number of dimensions of ``atom``, if known."""
        shape = self.atom(atom)
        return None if shape is None or shape == UNKNOWN else len(shape)

    def result_shaped(self, op: Operation, parameter: str) -> bool:
        """Whether ``parameter``'s operand already has the shape of the broadcast result (so
        its ``unbroadcast`` cannot change anything)."""
        if id(op) not in self.broadcasting:
            return False
        shape = self.atom(op.arguments[parameter])
        result = self.of.get(op.target)
        return shape not in (None, UNKNOWN) and shape == result


def only_defaults(op: Operation) -> bool:
    """A reduction called with nothing but its array (axis=None, no keepdims, no dtype)."""
    first = True
    for atom in op.arguments.values():
        if first:
            first = False
            continue
        if not (isinstance(atom, gast.Constant) and (atom.value is None or atom.value is False)):
            return False
    return True
