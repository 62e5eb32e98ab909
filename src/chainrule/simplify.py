"""Copy propagation and coalescing on a generated function body.

Normalization gives every value its own name and the chain rule one adjoint name per variable,
so loops are left with copies run once per iteration: a loop header's adjoint handed to the
body (``y_2_bar = y_1_bar``), the primal carrying a value to the next iteration
(``y_1 = y_2``), a branch that changed nothing (``else: vy_4 = vy_2``). This pass removes them
from loops before the code is printed:

* *propagation*: after ``a = b``, reads of ``a`` read ``b`` for as long as neither is assigned
  again; a copy nobody reads any more is dropped;
* *coalescing*: ``b = <expr>; ...; a = b`` writes ``a = <expr>`` and drops the copy, when ``b``
  lives only there and ``a`` is not read once ``b`` holds its value (on any path, branches
  included);
* *forward substitution*: an arithmetic temporary read once, by a later statement for the
  same user line, is written into that statement (``t1_bar = a_bar * x_1; k_bar = k_bar +
  -t1_bar`` becomes ``k_bar = k_bar - a_bar * x_1``: ``a + -b`` is ``a - b``, exactly);
* a negation read several times as ``x + t * y`` becomes ``x - a * y`` in each;
* a copy assigned again before anything reads it goes, and so does a ``# line N`` comment
  left heading no statement.

Only reads and writes of plain local names change, so every value, alias and order of
evaluation stays as it was; nothing here reasons about what a value is. Statements may be
shared with the cached normal form, so a statement that changes is copied first.
"""

from __future__ import annotations

import ast
import collections
import functools

import gast

from .syntax import assign, clone, make, name, name_ids, names, walk

_BLOCKS = ("body", "orelse")


def simplify(items: list) -> list:
    """``items`` (statements, and source lines as strings) with the copies in its loops
    propagated, coalesced and dropped. Straight-line code runs once and keeps the form
    normalization gave it (this pass is part of every transform, so it stays off code where
    it cannot pay). Compound statements (made for the generated code) are changed in place,
    simple ones (perhaps shared with the normal form) are replaced."""
    _SIMPLE_NAMES.clear()                       # names_in may have been asked before
    loops = list(_outermost_loops(items))
    if not loops:
        return items
    try:
        for loop in loops:
            loop.body = _propagate(loop.body, {})
            loop.orelse = _propagate(loop.orelse, {})
        total = _occurrences(items)
        for loop in loops:                      # each keeps its ``occurrences`` up to date
            occurrences = _loop_occurrences(items, loop, total)
            _coalesce_block(loop.body, occurrences)
            _substitute_block(loop.body, occurrences)
        _without_dead_copies(items, loops)
        return _without_orphan_comments(items)
    finally:
        _SIMPLE_NAMES.clear()


def _outermost_loops(block: list):
    for item in block:
        if isinstance(item, (gast.For, gast.While)):
            yield item
        elif isinstance(item, gast.If):
            yield from _outermost_loops(item.body)
            yield from _outermost_loops(item.orelse)


# -- names a statement reads and writes --------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def _line_names(line: str) -> tuple[frozenset, frozenset]:
    """(read, written) names of a source line given as text (none for a comment)."""
    if line.lstrip().startswith("#"):
        return frozenset(), frozenset()
    reads, writes = set(), set()
    for node in ast.walk(ast.parse(line)):
        if isinstance(node, ast.Name):
            (writes if isinstance(node.ctx, ast.Store) else reads).add(node.id)
    return frozenset(reads), frozenset(writes)


# Names of the simple statements seen by the running ``simplify`` call: statements are
# replaced, never changed, once they have been looked at, so their names stay true.
_SIMPLE_NAMES: dict[int, tuple] = {}


def _names(node, reads: list, writes: list) -> None:
    """Append the names ``node`` (a statement, or a line of source text) reads and writes.
    Lines of text nested in compound statements count too."""
    if isinstance(node, str):
        line_reads, line_writes = _line_names(node)
        reads.extend(line_reads)
        writes.extend(line_writes)
        return
    if isinstance(node, (gast.If, gast.For, gast.While)):
        for header in (getattr(node, "test", None), getattr(node, "iter", None),
                       getattr(node, "target", None)):
            if header is not None:
                _expression_names(header, reads, writes)
        for item in node.body + node.orelse:
            _names(item, reads, writes)
        return
    cached = _SIMPLE_NAMES.get(id(node))
    if cached is None or cached[0] is not node:
        found_reads, found_writes = [], []
        _expression_names(node, found_reads, found_writes)
        cached = _SIMPLE_NAMES[id(node)] = (node, found_reads, found_writes)
    reads.extend(cached[1])
    writes.extend(cached[2])


def _expression_names(node, reads: list, writes: list) -> None:
    for found in names(node):
        (reads if type(found.ctx) is gast.Load else writes).append(found.id)
    if type(node) is gast.AugAssign and type(node.target) is gast.Name:
        reads.append(node.target.id)                  # ``a += b`` reads ``a`` too


def names_in(node) -> tuple[list, list]:
    """(read, written) names of a generated statement or line of text, nested lines included."""
    reads, writes = [], []
    _names(node, reads, writes)
    return reads, writes


def _occurrences(items: list) -> collections.Counter:
    """How often each name is read or written anywhere in ``items``."""
    counts: collections.Counter = collections.Counter()
    for item in items:
        reads, writes = names_in(item)
        counts.update(reads)
        counts.update(writes)
    return counts


def _loop_occurrences(items: list, loop, total: collections.Counter) -> collections.Counter:
    """Occurrences of each name that matter inside ``loop``: those in the loop, for a name
    that occurs elsewhere only where another loop rebinds it first (``for y_2 in
    reversed(y_2_stack):`` in the reverse sweep); all of them for any other name."""
    inside = _occurrences([loop])
    elsewhere = collections.Counter()
    for item in items:
        if item is not loop:
            _count_unshadowed(item, elsewhere, frozenset())
    return collections.Counter({name_: count if elsewhere[name_] else inside[name_]
                                for name_, count in total.items()})


def _count_unshadowed(item, counts: collections.Counter, bound: frozenset) -> None:
    """Count the names of ``item`` except those read inside a ``for`` loop whose target
    binds them (and that its body does not assign): each turn rebinds them before use."""
    if isinstance(item, gast.For):
        counts.update(names_in(make(gast.Expr, value=item.iter))[0])
        targets = set(name_ids(item.target))
        body_writes = set()
        for inner in item.body:
            body_writes.update(names_in(inner)[1])
        rebound = bound | (targets - body_writes)
        counts.update(targets - rebound)
        for inner in item.body:
            _count_unshadowed(inner, counts, rebound)
        for inner in item.orelse:                  # runs after the last turn, or none
            _count_unshadowed(inner, counts, bound)
        return
    if isinstance(item, (gast.If, gast.While)):
        counts.update(n for n in names_in(make(gast.Expr, value=item.test))[0]
                      if n not in bound)
        for inner in item.body + item.orelse:
            _count_unshadowed(inner, counts, bound)
        return
    reads, writes = names_in(item)
    counts.update(n for n in reads + writes if n not in bound)


def _occurring(node) -> set[str]:
    reads, writes = names_in(node)
    return set(reads) | set(writes)


def _stores(node) -> set[str]:
    return set(names_in(node)[1])


# -- propagation -------------------------------------------------------------------------------

def _propagate(block: list, copies: dict[str, str]) -> list:
    """``block`` with reads of copies replaced by their source (``copies``: name -> the name
    it currently equals); self-assignments that result are dropped."""
    result = []
    for item in block:
        if isinstance(item, str):
            _kill(copies, _line_names(item)[1])
            result.append(item)
        elif isinstance(item, gast.If):
            item.test = _substitute(item.test, copies)
            item.body = _propagate(item.body, dict(copies))
            item.orelse = _propagate(item.orelse, dict(copies))
            _kill(copies, _stores(item))
            result.append(item)
        elif isinstance(item, (gast.For, gast.While)):
            # Every turn after the first sees the values the loop assigns.
            _kill(copies, _stores(item))
            if isinstance(item, gast.For):
                item.iter = _substitute(item.iter, copies)
            else:
                item.test = _substitute(item.test, copies)
            item.body = _propagate(item.body, dict(copies))
            item.orelse = _propagate(item.orelse, dict(copies))
            result.append(item)
        elif _is_copy(item):
            source = copies.get(item.value.id, item.value.id)
            target = item.targets[0].id
            if source == target:
                continue                              # ``a = a``
            _kill(copies, {target})
            copies[target] = source
            result.append(item if source == item.value.id else assign(target, name(source)))
        else:
            item = _substitute(item, copies)
            _kill(copies, _stores(item))
            result.append(item)
    return result


def _is_copy(item) -> bool:
    return (isinstance(item, gast.Assign) and len(item.targets) == 1
            and isinstance(item.targets[0], gast.Name) and isinstance(item.value, gast.Name))


def _substitute(node, copies: dict[str, str]):
    """``node``, or a copy of it reading each copy's source instead."""
    if not copies or not any(read in copies for read in names_in(node)[0]):
        return node
    node = clone(node)
    for inner in names(node):
        if type(inner.ctx) is gast.Load:
            inner.id = copies.get(inner.id, inner.id)
    return node


def _kill(copies: dict[str, str], written: set[str]) -> None:
    """Forget the copies that assigning ``written`` makes false."""
    if not copies or not written:
        return
    for target, source in list(copies.items()):
        if target in written or source in written:
            del copies[target]


# -- coalescing --------------------------------------------------------------------------------

def _nested_blocks(block: list):
    """The statement lists (bodies, else branches) of the compound statements of ``block``."""
    for item in block:
        if not isinstance(item, str):
            for field in _BLOCKS:
                inner = getattr(item, field, None)
                if isinstance(inner, list):
                    yield inner


def _coalesce_block(block: list, occurrences: collections.Counter) -> None:
    for inner in _nested_blocks(block):
        _coalesce_block(inner, occurrences)
    _coalesce_branch_copies(block, occurrences)
    position = 0
    while position < len(block):
        item = block[position]
        if _is_copy(item) and _overwritten(block, position):
            occurrences[item.targets[0].id] -= 1
            occurrences[item.value.id] -= 1
            del block[position]
            continue
        if _is_copy(item) and _coalesce(block, position, occurrences):
            del block[position]
            continue
        position += 1


def _coalesce_branch_copies(block: list, occurrences: collections.Counter) -> None:
    """For a copy ``a = b`` in a branch of an ``if`` of ``block``, where ``b`` is assigned
    earlier in the block and lives only until the ``if``: rename ``b`` to ``a`` (the branch
    that changed nothing then copies nothing; ``a = a`` is dropped later)."""
    for position, item in enumerate(block):
        if not isinstance(item, gast.If):
            continue
        copies = [(s.targets[0].id, s.value.id) for s in item.body + item.orelse
                  if _is_copy(s) and s.targets[0].id != s.value.id]
        for target, source in copies:
            start = _definition_before(block, position, source)
            if start is not None and _branch_coalescing_safe(block, start, position, target,
                                                             source, occurrences):
                for renamed in range(start, position + 1):
                    block[renamed] = _renamed(block[renamed], source, target)
                occurrences[target] += occurrences[source]
                occurrences[source] = 0


def _definition_before(block: list, position: int, variable: str) -> int | None:
    for earlier in range(position - 1, -1, -1):
        item = block[earlier]
        if isinstance(item, gast.Assign) and len(item.targets) == 1 and \
                isinstance(item.targets[0], gast.Name) and item.targets[0].id == variable:
            return earlier
    return None


def _branch_coalescing_safe(block: list, start: int, if_at: int, target: str, source: str,
                            occurrences: collections.Counter) -> bool:
    """Whether renaming ``source`` to ``target`` from its assignment at ``block[start]`` to
    the ``if`` at ``block[if_at]`` keeps every value: ``source`` occurs nowhere else,
    ``target`` is untouched until the ``if``, and on every path through the ``if`` it is
    assigned, with no read of ``source`` after that."""
    found = 0
    for item in block[start:if_at + 1]:
        reads, writes = names_in(item)
        found += reads.count(source) + writes.count(source)
    if found != occurrences[source]:
        return False
    for item in block[start + 1:if_at]:
        reads, writes = names_in(item)
        if target in reads or target in writes or source in writes:
            return False
    test_reads = names_in(make(gast.Expr, value=block[if_at].test))[0]
    if target in test_reads:
        return False
    for branch in (block[if_at].body, block[if_at].orelse):
        state = _target_written(branch, target, source, False, False)
        if state is None or not state[1]:
            return False
    return True


def _target_written(block: list, target: str, source: str, maybe: bool, surely: bool):
    """Walk a branch: (``target`` maybe written, surely written) at its end, or None if a
    read would see a different value once ``source`` is named ``target`` (``target`` read
    before it is surely written, ``source`` read after ``target`` may have been)."""
    for item in block:
        if isinstance(item, gast.If):
            test_reads = names_in(make(gast.Expr, value=item.test))[0]
            if (target in test_reads and not surely) or (source in test_reads and maybe):
                return None
            body = _target_written(item.body, target, source, maybe, surely)
            orelse = _target_written(item.orelse, target, source, maybe, surely)
            if body is None or orelse is None:
                return None
            maybe, surely = body[0] or orelse[0], body[1] and orelse[1]
            continue
        reads, writes = names_in(item)
        if isinstance(item, (str, gast.For, gast.While)):
            if {target, source} & set(reads + writes):
                return None
            continue
        if (target in reads and not surely) or (source in reads and maybe) or \
                source in writes:
            return None
        if target in writes:
            maybe = surely = True
    return maybe, surely


def _overwritten(block: list, copy_at: int) -> bool:
    """Whether the copy at ``block[copy_at]`` is assigned again, unread, later in the block."""
    target = block[copy_at].targets[0].id
    for item in block[copy_at + 1:]:
        if isinstance(item, str):
            reads, writes = _line_names(item)
            if target in reads | writes:
                return False
            continue
        reads, writes = [], []
        _names(item, reads, writes)
        if target in reads or isinstance(item, (gast.If, gast.For, gast.While)) and \
                target in writes:
            return False
        if target in writes:
            return True
    return False


def _coalesce(block: list, copy_at: int, occurrences: collections.Counter) -> bool:
    """Rename ``b`` to ``a`` for the copy ``a = b`` at ``block[copy_at]`` if that is safe:
    every occurrence of ``b`` is in this block, between a statement that assigns it and the
    copy, and ``a`` is neither assigned there nor read after ``b`` may hold its value."""
    target, source = block[copy_at].targets[0].id, block[copy_at].value.id
    if target == source:
        return True
    _read_target_after(block, copy_at, occurrences)
    seen, start = 1, copy_at                       # the copy reads ``b`` once
    while seen < occurrences[source] and start > 0:
        start -= 1
        if isinstance(block[start], str):
            if source in _line_names(block[start])[0] | _line_names(block[start])[1]:
                return False
            continue
        reads, writes = [], []
        _names(block[start], reads, writes)
        seen += reads.count(source) + writes.count(source)
    if seen != occurrences[source] or start == copy_at:
        return False
    span = block[start:copy_at]
    if _path_state(span, target, source, False) is None:
        return False
    for position in range(start, copy_at):
        block[position] = _renamed(block[position], source, target)
    occurrences[target] += occurrences[source] - 2  # the copy's read of b and write of a go
    occurrences[source] = 0
    return True


def _read_target_after(block: list, copy_at: int, occurrences: collections.Counter) -> None:
    """After ``a = b``, the statements of the block that read ``b`` while both still hold
    that value read ``a`` instead (so ``b`` may end at the copy)."""
    target, source = block[copy_at].targets[0].id, block[copy_at].value.id
    for position in range(copy_at + 1, len(block)):
        item = block[position]
        if isinstance(item, str) or isinstance(item, (gast.If, gast.For, gast.While)):
            return
        reads, writes = [], []
        _names(item, reads, writes)
        if source in reads and isinstance(item, gast.Assign):
            block[position] = _renamed(item, source, target, loads_only=True)
            occurrences[target] += reads.count(source)
            occurrences[source] -= reads.count(source)
        if target in writes or source in writes:
            return


def _path_state(block: list, target: str, source: str, assigned: bool):
    """Walk ``block`` in execution order: whether ``source`` has been assigned on some path
    after it, or None if renaming ``source`` to ``target`` would change a value (``target``
    written, read once ``source`` may be set, or ``source`` read before it is set)."""
    for item in block:
        if isinstance(item, str):
            reads, writes = _line_names(item)
            if {target, source} & (reads | writes):
                return None
            continue
        if isinstance(item, gast.If):
            test_reads, unused = [], []
            _names(item.test, test_reads, unused)
            if not _reads_ok(test_reads, target, source, assigned):
                return None
            body = _path_state(item.body, target, source, assigned)
            orelse = _path_state(item.orelse, target, source, assigned)
            if body is None or orelse is None:
                return None
            assigned = body or orelse
            continue
        reads, writes = [], []
        _names(item, reads, writes)
        if isinstance(item, (gast.For, gast.While)):
            if {target, source} & set(reads + writes):
                return None
            continue
        if target in writes or not _reads_ok(reads, target, source, assigned):
            return None
        assigned = assigned or source in writes
    return assigned


def _reads_ok(reads: list, target: str, source: str, assigned: bool) -> bool:
    if source in reads and not assigned:
        return False
    return not (target in reads and assigned)


def _renamed(node, old: str, new: str, loads_only: bool = False):
    """``node``, or a copy of it with the name ``old`` (only where read, if ``loads_only``)
    written ``new``."""
    def matches(inner) -> bool:
        return isinstance(inner, gast.Name) and inner.id == old and (
            not loads_only or isinstance(inner.ctx, gast.Load))

    if isinstance(node, str) or old not in _occurring(node):
        return node
    node = clone(node)
    for inner in names(node):
        if matches(inner):
            inner.id = new
    return node


# -- forward substitution ----------------------------------------------------------------------

_ARITHMETIC = (gast.BinOp, gast.UnaryOp, gast.Name, gast.Constant, gast.operator,
               gast.unaryop, gast.expr_context)


def _substitute_block(block: list, occurrences: collections.Counter) -> None:
    """Write each arithmetic temporary of ``block`` that is assigned once and read once, by
    a later simple statement of the same block under the same ``# line`` comment, into that
    statement."""
    for inner in _nested_blocks(block):
        _substitute_block(inner, occurrences)
    position = 0
    while position < len(block):
        item = block[position]
        if (isinstance(item, gast.Assign) and len(item.targets) == 1
                and isinstance(item.targets[0], gast.Name)
                and isinstance(item.value, (gast.BinOp, gast.UnaryOp))
                and occurrences[item.targets[0].id] == 2
                and all(isinstance(n, _ARITHMETIC) for n in walk(item.value))
                and _substitute_forward(block, position)):
            del block[position]
            continue
        if _is_negation_copy(item) and _sink_negation(block, position, occurrences):
            del block[position]
            continue
        position += 1


def _is_negation_copy(item) -> bool:
    return (isinstance(item, gast.Assign) and len(item.targets) == 1
            and isinstance(item.targets[0], gast.Name) and _is_negation(item.value)
            and isinstance(item.value.operand, gast.Name))


def _sink_negation(block: list, define_at: int, occurrences: collections.Counter) -> bool:
    """``t = -a`` read several times, each time as ``x + t * y`` (or ``x - t * y``, or
    ``y * t``), by statements of the same user line: each becomes ``x - a * y`` (``x + a *
    y``), the same IEEE operations less one negation."""
    temporary, negated = block[define_at].targets[0].id, block[define_at].value.operand.id
    reads_left = occurrences[temporary] - 1
    rewritten = {}
    for position in range(define_at + 1, len(block)):
        if reads_left == 0:
            break
        item = block[position]
        if isinstance(item, str):
            return False
        reads, writes = names_in(item)
        if temporary in reads:
            new = _with_negation_sunk(item, temporary, negated)
            if new is None:
                return False
            rewritten[position] = new
            reads_left -= reads.count(temporary)
        if negated in writes or temporary in writes:
            return False
    if reads_left:
        return False
    for position, new in rewritten.items():
        block[position] = new
    return True


def _with_negation_sunk(item, temporary: str, negated: str):
    """``item`` as ``x = y -/+ negated * z`` if it is ``x = y +/- temporary * z`` (either
    factor order) with no other read of ``temporary``; else None."""
    value = getattr(item, "value", None)
    if not (isinstance(item, gast.Assign) and isinstance(value, gast.BinOp)
            and isinstance(value.op, (gast.Add, gast.Sub))
            and isinstance(value.right, gast.BinOp) and isinstance(value.right.op, gast.Mult)):
        return None
    product = value.right
    factors = [product.left, product.right]
    at = [i for i, f in enumerate(factors) if isinstance(f, gast.Name) and f.id == temporary]
    if len(at) != 1 or temporary in name_ids(value.left) or \
            temporary in name_ids(factors[1 - at[0]]):
        return None
    item = clone(item)
    product = item.value.right
    setattr(product, ("left", "right")[at[0]], name(negated))
    item.value.op = gast.Sub() if isinstance(item.value.op, gast.Add) else gast.Add()
    return item


def _substitute_forward(block: list, define_at: int) -> bool:
    """Move ``block[define_at]``'s value into the statement that reads its target, if every
    statement in between leaves the names it reads alone."""
    temporary, value = block[define_at].targets[0].id, block[define_at].value
    operands = name_ids(value)
    for position in range(define_at + 1, len(block)):
        item = block[position]
        if isinstance(item, str):
            return False                 # each user line's code stays under its comment
        reads, writes = [], []
        _names(item, reads, writes)
        if temporary in reads:
            if isinstance(item, (gast.If, gast.For, gast.While)) or \
                    _calls_touch(item, operands):
                return False
            block[position] = _with_value(item, temporary, value)
            return True
        if operands & set(writes) or temporary in writes:
            return False
        if not _plain_assignment(item) and operands & set(reads):
            return False                          # a call or a store may change an operand
    return False


def _plain_assignment(item) -> bool:
    return isinstance(item, gast.Assign) and all(
        isinstance(t, gast.Name) for t in item.targets) and not any(
        type(n) is gast.Call for n in walk(item.value))


def _calls_touch(item, operands: set[str]) -> bool:
    """Whether a call in ``item`` is handed one of ``operands`` (it might change it before
    the substituted value is computed)."""
    for node in walk(item):
        if type(node) is gast.Call:
            for argument in node.args + [k.value for k in node.keywords] + [node.func]:
                if name_ids(argument) & operands:
                    return True
    return False


def _with_value(item, temporary: str, value):
    """A copy of ``item`` reading ``value`` where it read ``temporary``."""
    item = clone(item)
    for node in walk(item):
        for field in node._fields:
            child = getattr(node, field, None)
            if isinstance(child, gast.Name) and child.id == temporary:
                setattr(node, field, value)
            elif isinstance(child, list):
                child[:] = [value if isinstance(e, gast.Name) and e.id == temporary else e
                            for e in child]
    return _tidy(item)


def _tidy(node):
    """``node`` with the signs that substitution brought together simplified: ``-(-a)`` is
    ``a``, ``a + -b`` is ``a - b`` and ``a - -b`` is ``a + b`` (the same IEEE operations)."""
    for field in node._fields:
        child = getattr(node, field, None)
        if isinstance(child, gast.AST):
            setattr(node, field, _tidy(child))
        elif isinstance(child, list):
            child[:] = [_tidy(e) if isinstance(e, gast.AST) else e for e in child]
    if _is_negation(node) and _is_negation(node.operand):
        return node.operand.operand
    if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub)) and \
            _is_negation(node.right):
        node.op = gast.Sub() if isinstance(node.op, gast.Add) else gast.Add()
        node.right = node.right.operand
    return node


def _is_negation(node) -> bool:
    return isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub)


# -- dead copies -------------------------------------------------------------------------------

def _without_dead_copies(items: list, loops: list) -> None:
    """Drop from ``loops`` the copies (and constant assignments) whose target is never read,
    and ``a = a`` (left by coalescing), until none is left."""
    while True:
        reads: collections.Counter = collections.Counter()
        for item in items:
            reads.update(names_in(item)[0])
        removed = [False]
        for loop in loops:
            loop.body = _drop_unread(loop.body, reads, removed)
            loop.orelse = _drop_unread(loop.orelse, reads, removed)
        if not removed[0]:
            return


def _drop_unread(block: list, reads: collections.Counter, removed: list) -> list:
    kept = []
    for item in block:
        if isinstance(item, gast.Assign) and len(item.targets) == 1 and \
                isinstance(item.targets[0], gast.Name) and \
                isinstance(item.value, (gast.Name, gast.Constant)) and (
                    not reads[item.targets[0].id] or
                    getattr(item.value, "id", None) == item.targets[0].id):
            removed[0] = True
            continue
        if not isinstance(item, str):
            for field in _BLOCKS:
                inner = getattr(item, field, None)
                if isinstance(inner, list):
                    setattr(item, field, _drop_unread(inner, reads, removed))
        kept.append(item)
    return kept


def _without_orphan_comments(block: list) -> list:
    kept = []
    for position, item in enumerate(block):
        if isinstance(item, str):
            following = block[position + 1] if position + 1 < len(block) else None
            if item.startswith("# line ") and (following is None or (
                    isinstance(following, str) and following.lstrip().startswith("#"))):
                continue
        else:
            for field in _BLOCKS:
                inner = getattr(item, field, None)
                if isinstance(inner, list) and (inner or field == "body"):
                    inner = _without_orphan_comments(inner)
                    if field == "body" and not any(not isinstance(s, str) for s in inner):
                        inner = inner + [make(gast.Pass)]
                    setattr(item, field, inner)
        kept.append(item)
    return kept
