"""Small helpers to build, copy and print gast nodes the same way on every gast/Python version."""

from __future__ import annotations

import ast
from collections import deque

import gast

_LIST_FIELDS = {"body", "orelse", "decorator_list", "type_params", "args", "keywords", "targets",
                "elts", "keys", "values", "ops", "comparators", "defaults", "kw_defaults",
                "posonlyargs", "kwonlyargs", "finalbody", "handlers"}


def make(node_class, **fields):
    """Build a gast node, giving fields this gast version has but the caller left out an
    empty default (``[]`` for lists, ``None`` otherwise); fields it lacks are dropped."""
    node = node_class.__new__(node_class)
    values = node.__dict__
    for field, is_list in _field_table(node_class):
        value = fields.get(field, _ABSENT)
        values[field] = value if value is not _ABSENT else [] if is_list else None
    return node


_ABSENT = object()
_FIELD_TABLES: dict[type, tuple] = {}


def _field_table(node_class) -> tuple:
    """``(field, holds a list)`` for each field of ``node_class`` (made once per class: node
    construction is one of the hottest paths of a transform)."""
    table = _FIELD_TABLES.get(node_class)
    if table is None:
        table = _FIELD_TABLES[node_class] = tuple((f, f in _LIST_FIELDS)
                                                  for f in node_class._fields)
    return table


def name(identifier: str, store: bool = False, ctx=None) -> gast.Name:
    """A ``Name`` node (``ctx``, when given, is used as it is, else a fresh Load/Store)."""
    node = _NAME_NEW(gast.Name)
    node.__dict__.update(_NAME_DEFAULTS)
    node.id = identifier
    node.ctx = ctx if ctx is not None else gast.Store() if store else gast.Load()
    return node


_NAME_NEW = gast.Name.__new__
_NAME_DEFAULTS = {field: None for field in gast.Name._fields}


def const(value) -> gast.Constant:
    return make(gast.Constant, value=value, kind=None)


def assign(target: str, value) -> gast.Assign:
    return make(gast.Assign, targets=[name(target, store=True)], value=value)


def clone(node):
    """A deep copy of a gast tree (much faster than ``copy.deepcopy``); extra attributes that
    chainrule attaches to nodes are carried over by reference, and so are the childless
    context and operator nodes (nothing changes them in place)."""
    node_class = type(node)
    if node_class is list:
        return [clone(item) for item in node]
    if not isinstance(node, gast.AST):
        return node
    new = node_class.__new__(node_class)
    values = new.__dict__
    values.update(node.__dict__)
    for field in _COPY_FIELDS[node_class]:
        value = values.get(field)
        if value is not None:
            values[field] = clone(value)
    return new


# -- walking -----------------------------------------------------------------------------------
#
# ``ast.walk`` asks every node for every field through two generator layers and a try/except;
# a transform walks trees thousands of times. These walkers read a per-class table of the fields
# that can hold nodes, and ``names`` skips the leaves (contexts, operators) that can never hold
# a name.

class _FieldTable(dict):
    """Node class -> the names of its fields that can hold child nodes, made on first use."""

    def __init__(self, skipped: set[str]):
        super().__init__()
        self.skipped = skipped

    def __missing__(self, node_class) -> tuple[str, ...]:
        fields = self[node_class] = tuple(f for f in getattr(node_class, "_fields", ())
                                          if f not in self.skipped)
        return fields


_LEAF_FIELDS = {"id", "attr", "kind", "type_comment", "is_async", "level", "module",
                "conversion", "simple", "tag"}          # strings, numbers and flags only
_WALK_FIELDS = _FieldTable(_LEAF_FIELDS)
# A copy may share the childless context and operator nodes with its original.
_COPY_FIELDS = _FieldTable(_LEAF_FIELDS | {"ctx", "op"})
_NAME_FIELDS = _FieldTable(_LEAF_FIELDS | {"ctx", "op", "ops"})


def child_fields(node_class) -> tuple[str, ...]:
    """The fields of ``node_class`` that can hold nodes other than contexts and operators
    (those a copy or a rewrite must descend into)."""
    return _COPY_FIELDS[node_class]


def walk(tree, closed: tuple = ()):
    """Every node of ``tree`` (a node or a list of them), in ``ast.walk``'s order (breadth
    first, fields in order), several times faster. Strings in a list (raw lines of generated
    code) are skipped; nodes of the ``closed`` classes are yielded but not entered."""
    todo = deque(tree if isinstance(tree, list) else (tree,))
    table = _WALK_FIELDS
    while todo:
        node = todo.popleft()
        if not isinstance(node, gast.AST):
            continue
        yield node
        if closed and isinstance(node, closed):
            continue
        for field in table[type(node)]:
            value = getattr(node, field, None)
            if type(value) is list:
                todo.extend(value)
            elif isinstance(value, gast.AST):
                todo.append(value)


def names(tree):
    """The ``Name`` nodes of ``tree`` (a node or a list of them), in no particular order."""
    todo = list(tree) if isinstance(tree, list) else [tree]
    table = _NAME_FIELDS
    name_class = gast.Name
    while todo:
        node = todo.pop()
        node_class = type(node)
        if node_class is name_class:
            yield node
            if node.annotation is None:        # a parameter's annotation may hold names
                continue
        elif not isinstance(node, gast.AST):
            continue
        for field in table[node_class]:
            value = getattr(node, field, None)
            if type(value) is list:
                todo.extend(value)
            elif value is not None:
                todo.append(value)


def name_ids(tree, ctx=None) -> set[str]:
    """The identifiers ``tree`` mentions; with ``ctx`` (``gast.Load``, ``gast.Store``), only
    those read or written there."""
    if ctx is None:
        return {n.id for n in names(tree)}
    return {n.id for n in names(tree) if type(n.ctx) is ctx}


def render(items: list) -> str:
    """Source of a sequence of gast statements and raw text lines, unparsed in one go.

    Raw lines (comments, mostly) stand in the tree as marker statements that are swapped back
    after unparsing; one ``ast.unparse`` call is far cheaper than one per statement.
    """
    raw = {}

    def with_markers(block: list) -> list:
        body = []
        for item in block:
            if isinstance(item, str):
                marker = f"__chainrule_line_{len(raw)}__"
                raw[marker] = item
                body.append(make(gast.Expr, value=name(marker)))
                continue
            for field in ("body", "orelse"):
                if isinstance(getattr(item, field, None), list):
                    setattr(item, field, with_markers(getattr(item, field)))
            body.append(item)
        return body

    text = to_source(make(gast.Module, body=with_markers(items), type_ignores=[]))
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        lines.append(line[:len(line) - len(line.lstrip())] + raw[stripped]
                     if stripped in raw else line)
    return "\n".join(lines)


def to_ast(node):
    """The standard-library ``ast`` twin of a gast tree, for the node types generated code
    uses (statements and expressions; no function definitions). Many times faster than
    ``gast.gast_to_ast``, which dominated transform time."""
    node_class = type(node)
    if node_class is list:
        return [to_ast(item) for item in node]
    conversion = _CONVERSIONS.get(node_class)
    if conversion is None:
        if not isinstance(node, gast.AST):
            return node                                   # a string, number or None
        conversion = _conversion(node_class)
    if type(conversion) is not tuple:
        return conversion(node)
    target, fields, positions = conversion
    converted = target.__new__(target)
    values = converted.__dict__
    source = node.__dict__
    for field in fields:
        value = source.get(field)
        # Strings and None (names, missing parts) are common: no call for them.
        values[field] = value if value is None or type(value) is str else to_ast(value)
    values.update(positions)                              # ast.unparse reads lineno
    return converted


def _name_to_ast(node) -> ast.Name:
    converted = ast.Name.__new__(ast.Name)
    converted.id = node.id
    converted.ctx = _CONTEXTS[type(node.ctx)]
    return converted


def _constant_to_ast(node):
    value = node.value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and \
            (value < 0 or str(value)[0] == "-"):
        # ast.unparse writes a negative constant without brackets: (-1.5) ** 2 would come
        # out as -1.5 ** 2. As a negation it gets them.
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value))
    converted = ast.Constant.__new__(ast.Constant)
    converted.__dict__.update(value=value, kind=getattr(node, "kind", None), **_POSITIONS)
    return converted


def _conversion(node_class):
    """How to convert nodes of ``node_class``: a function, or ``(ast class, its fields, its
    position attributes)``; childless nodes (contexts, operators) share one ``ast`` node."""
    target = _AST_CLASSES.get(node_class)
    if target is None:
        conversion = gast.gast_to_ast
    elif not target._fields and not target._attributes:
        shared = target()

        def conversion(node):
            return shared
    else:
        conversion = (target, target._fields, {a: 0 for a in target._attributes})
    _CONVERSIONS[node_class] = conversion
    return conversion


_POSITIONS = {attribute: 0 for attribute in ast.Constant._attributes}
_CONTEXTS = {gast.Load: ast.Load(), gast.Store: ast.Store(), gast.Del: ast.Del()}
_AST_CLASSES = {getattr(gast, n): getattr(ast, n) for n in dir(gast)
                if isinstance(getattr(gast, n), type) and issubclass(getattr(gast, n), gast.AST)
                and isinstance(getattr(ast, n, None), type)}
# Function definitions (and their parameters) keep gast's own conversion.
_CONVERSIONS: dict = {gast.Name: _name_to_ast, gast.Constant: _constant_to_ast,
                      gast.FunctionDef: gast.gast_to_ast, gast.Lambda: gast.gast_to_ast,
                      gast.arguments: gast.gast_to_ast}


def from_ast(node):
    """The gast tree of a standard-library ``ast`` tree: what ``gast.ast_to_gast`` makes, in a
    fraction of its time (it was half the cost of parsing a function). Most node classes are
    the same in both, field for field; parameters (``arg``) become ``Name`` nodes; the few
    classes that differ more are left to gast."""
    node_class = type(node)
    if node_class is list:
        return [from_ast(item) for item in node]
    conversion = _FROM_AST.get(node_class)
    if conversion is None:
        if not isinstance(node, ast.AST):
            return node                                   # a string, number or None
        conversion = _from_ast_conversion(node_class)
    return conversion(node)


def _from_ast_conversion(node_class):
    """A function converting nodes of ``node_class`` field for field (its fields and position
    attributes all sit in the node's ``__dict__``), or gast's own converter."""
    target = getattr(gast, node_class.__name__, None)
    if node_class.__name__ in _GAST_CONVERTS or not isinstance(target, type):
        conversion = gast.ast_to_gast
    else:
        new = target.__new__
        needs_type_params = "type_params" in target._fields and \
            "type_params" not in node_class._fields          # before Python 3.12

        def conversion(node):
            converted = new(target)
            values = converted.__dict__
            for key, value in node.__dict__.items():
                values[key] = from_ast(value)
            if needs_type_params:
                values["type_params"] = []
            return converted
    _FROM_AST[node_class] = conversion
    return conversion


def _name_from_ast(node) -> gast.Name:
    converted = _NAME_NEW(gast.Name)
    values = converted.__dict__
    values.update(node.__dict__)                          # id, ctx and the positions
    values["ctx"] = _GAST_CONTEXTS[type(node.ctx)]()
    values["annotation"] = values["type_comment"] = None
    return converted


def _arg_from_ast(node) -> gast.Name:
    """A parameter is a ``Name`` in the ``Param`` context in gast."""
    converted = _NAME_NEW(gast.Name)
    values = converted.__dict__
    values.update(node.__dict__)                          # positions, type_comment
    values["id"] = values.pop("arg")
    values["ctx"] = gast.Param()
    values["annotation"] = from_ast(node.annotation)
    return converted


# gast converts these its own way (names of ast classes; not all exist on every version).
_GAST_CONVERTS = {"ExceptHandler", "TypeVar", "TypeVarTuple", "ParamSpec", "alias"}
_GAST_CONTEXTS = {ast.Load: gast.Load, ast.Store: gast.Store, ast.Del: gast.Del}
_FROM_AST: dict = {ast.Name: _name_from_ast, ast.arg: _arg_from_ast}


def parse(source: str) -> gast.Module:
    """``gast.parse``, faster (see :func:`from_ast`)."""
    return from_ast(ast.parse(source))


def to_source(node) -> str:
    """Python source of a gast node (through the standard library's ``ast.unparse``)."""
    return ast.unparse(to_ast(node))
