"""Small helpers to build, copy and print gast nodes the same way on every gast/Python version."""

from __future__ import annotations

import ast
import copy

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
    return copy.deepcopy(node)


def to_source(node) -> str:
    """Python source of a gast node (through the standard library's ``ast.unparse``)."""
    tree = gast.gast_to_ast(node)
    ast.fix_missing_locations(tree)
    return ast.unparse(tree)


def parse_expression(text: str):
    return gast.parse(text, mode="eval").body


def is_atom(node) -> bool:
    return isinstance(node, (gast.Name, gast.Constant))
