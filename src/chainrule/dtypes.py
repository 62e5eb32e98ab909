"""dtypes, as far as gradients care: a value cast or stored into an integer or boolean array is
truncated, so nothing flows back through it (its slope is 0); a floating dtype (float32 too)
keeps the slope 1.

Decided when the code is made wherever the dtype can be read from the source (``dtype=int``,
``np.zeros(3)``); otherwise a cheap check runs with the gradient, only where it can fire (a
store into an array whose dtype is not known to be floating, a ``dtype=`` given as a value).
"""

from __future__ import annotations

import builtins
import operator
import types

import gast
import numpy as np

from .kinds import CONTAINER, NUMERIC, Kinds
from .operations import COPY, INDEX, NONDIFF, RULE, STORE, Operation, local_name
from .parsing import ParsedFunction, resolve_dotted
from .rules.registry import method_function

UNKNOWN = "unknown"     # what `truncates` says when only the running code can tell

# Constructors whose result is float64 unless a dtype is given: (function, positional
# arguments before its dtype parameter).
_FLOAT_CONSTRUCTORS = {np.zeros: 1, np.ones: 1, np.empty: 1, np.identity: 1, np.eye: 3}
# Functions whose result has the dtype of their first argument, unless a dtype is given.
_SAME_DTYPE = {np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.copy, np.array,
               np.asarray, np.asanyarray, np.ascontiguousarray, np.reshape, np.ravel,
               np.transpose, np.squeeze, np.expand_dims, np.swapaxes, np.moveaxis, np.flip,
               np.atleast_1d, np.atleast_2d, np.atleast_3d, np.broadcast_to, np.tile,
               np.repeat, np.roll, np.diag, np.triu, np.tril, method_function("astype")}
# Arithmetic that gives a floating result when one operand is floating.
_PROMOTING = {operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
              operator.neg, operator.pos, operator.matmul}


def truncates(atom, parsed: ParsedFunction, locals_: set[str]):
    """Whether a ``dtype=`` argument casts to integers or booleans: True, False, or UNKNOWN
    when it is a value only the running code knows (a local, a rebindable global)."""
    if isinstance(atom, gast.Constant):
        value = atom.value
    elif isinstance(atom, gast.Name) and atom.id not in locals_ and \
            getattr(builtins, atom.id, None) in (int, float, bool, complex):
        value = resolve_dotted(parsed, atom, locals_)     # a builtin type, unless shadowed
        if value is not getattr(builtins, atom.id):
            return UNKNOWN
    elif isinstance(atom, gast.Attribute) and isinstance(
            resolve_dotted(parsed, atom.value, locals_), types.ModuleType):
        value = resolve_dotted(parsed, atom, locals_)     # np.int32, np.float64
    else:
        return UNKNOWN
    if value is None:
        return False
    try:
        return not np.issubdtype(np.dtype(value), np.inexact)
    except TypeError:
        return UNKNOWN


def floating_arrays(operations: list[Operation], kinds: Kinds, parsed: ParsedFunction,
                    locals_: set[str], params: list[str], arguments_floating: bool) -> set[str]:
    """Locals known to hold arrays of a floating dtype wherever they are assigned (a store
    into them keeps the stored value's slope). The largest such set: loop-carried names are
    assumed floating until an assignment says otherwise."""
    fixed = {p for p in params if arguments_floating and kinds.get(p) == NUMERIC}
    defining = [op for op in operations if op.target and op.kind != STORE]
    found = fixed | {op.target for op in defining}
    changed = True
    while changed:
        changed = False
        for op in defining:
            if op.target in found and op.target not in fixed and \
                    not _floating_result(op, found, parsed, locals_):
                found.discard(op.target)
                changed = True
    return found


def _floating_result(op: Operation, floating: set[str], parsed, locals_) -> bool:
    def is_floating(atom) -> bool:
        if isinstance(atom, gast.Constant):
            return type(atom.value) is float
        return local_name(atom, locals_) in floating

    if op.kind in (COPY, INDEX):          # an element or a view keeps the array's dtype
        return bool(op.inputs) and op.inputs[0] in floating
    value = getattr(op.statement, "value", None)       # None for a loop's elements
    if op.kind == RULE and op.callee in _PROMOTING:            # x * 2.0, -x, W @ x
        return any(is_floating(a) for a in op.arguments.values())
    if op.kind not in (RULE, NONDIFF) or not isinstance(value, gast.Call):
        return False
    # The operands in order (a method's array first), the dtype= argument if any.
    if op.kind == RULE:
        operands = list(op.arguments.values())
        dtype = op.arguments.get("dtype")
    else:
        operands = list(value.args)
        dtype = next((k.value for k in value.keywords if k.arg == "dtype"), None)
    if dtype is not None and not (isinstance(dtype, gast.Constant) and dtype.value is None):
        return truncates(dtype, parsed, locals_) is False
    callee = op.callee
    if callee in _FLOAT_CONSTRUCTORS:     # no dtype among the positional arguments
        return len(value.args) <= _FLOAT_CONSTRUCTORS[callee]
    if callee in _SAME_DTYPE:          # (np.zeros_like(a, int): a dtype in second place)
        return bool(operands) and is_floating(operands[0]) and (
            op.kind == RULE or len(value.args) == 1)
    if isinstance(callee, np.ufunc) and op.kind == RULE:   # not np.isnan, np.less, ...
        return any(is_floating(a) for a in operands)
    return False


def stores_keep_slope(container: str, floating: set[str], kinds: Kinds) -> bool:
    """A store into ``container`` passes the stored value's slope on unchanged: a list, or
    an array known to be floating."""
    return container in floating or kinds.get(container) == CONTAINER
