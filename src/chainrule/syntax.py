"""Small helpers to build, copy and print gast nodes the same way on every gast/Python version."""

from __future__ import annotations

import ast
import gast

_LIST_FIELDS = {"body", "orelse", "decorator_list", "type_params", "args", "keywords", "targets",
                "elts", "keys", "values", "ops", "comparators", "defaults", "kw_defaults",
                "posonlyargs", "kwonlyargs", "finalbody", "handlers"}


def make(node_class, **fields):
    """Build a gast node, giving fields this gast version has but the caller left out an
    empty default (``[]`` for lists, ``None`` otherwise)."""
    for field in node_class._fields:
        if field not in fields:
            fields[field] = [] if field in _LIST_FIELDS else None
    return node_class(**{k: v for k, v in fields.items() if k in node_class._fields})


def name(identifier: str, store: bool = False) -> gast.Name:
    return make(gast.Name, id=identifier, ctx=gast.Store() if store else gast.Load())


def const(value) -> gast.Constant:
    return make(gast.Constant, value=value, kind=None)


def assign(target: str, value) -> gast.Assign:
    return make(gast.Assign, targets=[name(target, store=True)], value=value)


def clone(node):
    """A deep copy of a gast tree (much faster than ``copy.deepcopy``); extra attributes that
    chainrule attaches to nodes are carried over by reference."""
    if isinstance(node, list):
        return [clone(item) for item in node]
    if not isinstance(node, gast.AST):
        return node
    new = node.__class__.__new__(node.__class__)
    new.__dict__.update(node.__dict__)
    for field in node._fields:
        setattr(new, field, clone(getattr(node, field, None)))
    return new


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
    uses (statements and expressions; no function definitions). Several times faster than
    ``gast.gast_to_ast``, which dominated transform time."""
    if isinstance(node, list):
        return [to_ast(item) for item in node]
    if not isinstance(node, gast.AST):
        return node
    if isinstance(node, gast.Name):
        return ast.Name(id=node.id, ctx=_CONTEXTS[type(node.ctx)])
    if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) and \
            not isinstance(node.value, bool) and (node.value < 0 or str(node.value)[0] == "-"):
        # ast.unparse writes a negative constant without brackets: (-1.5) ** 2 would come
        # out as -1.5 ** 2. As a negation it gets them.
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-node.value))
    if isinstance(node, (gast.FunctionDef, gast.Lambda, gast.arguments)):
        return gast.gast_to_ast(node)
    target = _AST_CLASSES[type(node)]
    converted = target.__new__(target)
    for field in target._fields:
        setattr(converted, field, to_ast(getattr(node, field, None)))
    for attribute in target._attributes:          # positions; ast.unparse reads lineno
        setattr(converted, attribute, 0)
    return converted


_CONTEXTS = {gast.Load: ast.Load(), gast.Store: ast.Store(), gast.Del: ast.Del()}
_AST_CLASSES = {getattr(gast, n): getattr(ast, n) for n in dir(gast)
                if isinstance(getattr(gast, n), type) and issubclass(getattr(gast, n), gast.AST)
                and isinstance(getattr(ast, n, None), type)}


def to_source(node) -> str:
    """Python source of a gast node (through the standard library's ``ast.unparse``)."""
    return ast.unparse(to_ast(node))
