"""Deeply nested code: room on the stack for it, or a clear error.

The passes that read a function (conversion to gast, the fence, normalization, printing)
recurse once or a few times per level of nesting. Python's default recursion limit (1000)
is enough for code as people write it, but not for a one-line sum of some hundred terms
(``a + b + c + ...`` nests one ``BinOp`` per term), which CPython itself compiles up to about
3000 levels. A transform that runs out of stack is made again with the limit raised for the
function's depth, up to ``MAX_DEPTH`` levels; beyond that it is refused with a
``TransformError``. Nothing changes on the common path: the limit is only raised after a
``RecursionError``, and put back when the last transform that needed it ends.

``MAX_DEPTH`` stays below what every supported Python compiles (Python 3.12 stops near 3000
levels whatever the limit; 3.13 goes further) and well below where Python 3.10, whose every
Python call also takes C stack, runs out of it (between 5000 and 7000 levels).
"""

from __future__ import annotations

import ast
import contextlib
import sys
import textwrap
import threading
import types

from .errors import TransformError
from .origin import SourceMap

MAX_DEPTH = 2800            # levels of nesting followed
_FRAMES_PER_LEVEL = 6       # frames a pass takes per level (3 measured), with room to spare
_MARGIN = 1000              # frames for everything around a pass

_lock = threading.Lock()
_raised = {"count": 0, "saved": 0}


def deeply(function: types.FunctionType, make):
    """``make()``; if it runs out of stack on ``function``'s nesting, once more with the
    room its depth needs (a ``TransformError`` when it nests too deeply)."""
    try:
        return make()
    except RecursionError:
        pass
    with _room_for(MAX_DEPTH):                  # CPython's parser follows the limit too
        depth = _depth(function)
    with _room_for(depth):
        return make()


def _depth(function: types.FunctionType) -> int:
    """How deeply ``function``'s source nests; a TransformError beyond ``MAX_DEPTH``."""
    from .parsing import source_block           # (parsing imports what imports this module)
    source_map = None
    try:
        lines, first = source_block(function.__code__)
        lines = [line.rstrip("\n") for line in lines]
        source_map = SourceMap(function.__code__.co_filename, first, lines,
                               function.__qualname__)
        deepest, node = _deepest(ast.parse(textwrap.dedent("\n".join(lines))))
    except SyntaxError:                          # a lambda's line: its depth is not known
        deepest, node = MAX_DEPTH, None
    except (RecursionError, MemoryError):        # too deep for CPython's parser as well
        deepest, node = MAX_DEPTH + 1, None
    if deepest > MAX_DEPTH:
        raise TransformError(
            f"cannot differentiate {function.__qualname__}: an expression nested more than "
            f"{MAX_DEPTH} levels deep", construct="a deeply nested expression",
            origin=source_map.origin(node) if node is not None else None,
            hint="split it into several statements (total = a + b; total = total + c)")
    return deepest


def _deepest(tree) -> tuple[int, ast.AST]:
    """The deepest level in ``tree`` and the outermost statement on the way to it (without
    recursion)."""
    deepest, where = 0, tree
    todo = [(tree, 1, tree)]
    while todo:
        node, level, statement = todo.pop()
        if isinstance(node, ast.stmt):
            statement = node
        if level > deepest:
            deepest, where = level, statement
        todo.extend((child, level + 1, statement) for child in ast.iter_child_nodes(node))
    return deepest, where


@contextlib.contextmanager
def _room_for(depth: int):
    """The recursion limit raised (for every thread: it is the interpreter's) so that a pass
    over ``depth`` levels fits from here, and put back by the last one to need it."""
    frame, used = sys._getframe(), 0
    while frame is not None:
        frame, used = frame.f_back, used + 1
    needed = used + depth * _FRAMES_PER_LEVEL + _MARGIN
    with _lock:
        if _raised["count"] == 0:
            _raised["saved"] = sys.getrecursionlimit()
        _raised["count"] += 1
        if needed > sys.getrecursionlimit():
            sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        with _lock:
            _raised["count"] -= 1
            if _raised["count"] == 0:
                sys.setrecursionlimit(_raised["saved"])
