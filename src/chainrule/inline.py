"""Inline a gradient rule's body at a call site, with the real names.

A rule (see :mod:`chainrule.rules.registry`) is parsed once into a template. At each call site
its parameters are replaced by the call's atoms, ``out_bar``/``out`` by the adjoint and the
result, its locals by fresh names and its globals by the names the generated function receives
them under. Then conditions that became constant are folded (``axis is None`` with
``axis=None``), unwanted cotangents are dropped with the statements only they needed, and
``unbroadcast`` calls that cannot change anything are removed.
"""

from __future__ import annotations

import functools
import inspect
import operator
import textwrap
from dataclasses import dataclass
from typing import Any, Callable

import gast

from .parsing import parsed_block
from .rules.registry import Rule
from .syntax import child_fields, clone, const, from_ast, make, name, name_ids, parse, walk


@dataclass
class Template:
    rule: Rule
    body: list                     # the rule's statements, returns included
    locals: set[str]
    globals: dict[str, Any]        # global name -> object, as the rule module sees it


class RuleError(Exception):
    """A rule body uses something that cannot be inlined (a bug in the rule)."""


def _parse_rule(function: Callable):
    lines, _, tree = parsed_block(function.__code__)
    module = parse(textwrap.dedent("".join(lines))) if tree is None else from_ast(tree)
    return module.body[0]


_TEMPLATES: dict[Callable, Template] = {}


def template(rule: Rule) -> Template:
    """The parsed rule, made once per rule function."""
    cached = _TEMPLATES.get(rule.function)
    if cached is None:
        cached = _TEMPLATES[rule.function] = _make_template(rule)
    return cached


def _make_template(rule: Rule) -> Template:
    node = _parse_rule(rule.function)
    body = list(node.body)
    if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant):
        body = body[1:]                                   # docstring
    for inner in walk(body):
        if isinstance(inner, (gast.For, gast.While, gast.FunctionDef, gast.Lambda,
                              gast.AugAssign, gast.ListComp, gast.Try)):
            raise RuleError(f"rule {rule.function.__name__} uses "
                            f"{type(inner).__name__}, which cannot be inlined")
    params = {"out_bar", "out", *rule.params}
    assigned = name_ids(body, gast.Store)
    read = name_ids(body)
    namespace = rule.function.__globals__
    globals_ = {}
    for identifier in read - params - assigned:
        if identifier in namespace:
            globals_[identifier] = namespace[identifier]
        elif identifier not in ("None", "True", "False"):
            raise RuleError(f"rule {rule.function.__name__} reads unknown name {identifier}")
    return Template(rule, body, assigned, globals_)


def _split_return(statements: list, rule_name: str) -> tuple[list, Any]:
    """Statements before the (first reachable) return, and the returned expression.

    A guard clause ``if c: return A`` whose test did not fold away becomes ``A if c else B``
    (element by element for tuples), so each cotangent stays a separate expression.
    """
    for position, statement in enumerate(statements):
        if isinstance(statement, gast.Return):
            return statements[:position], statement.value
        if isinstance(statement, gast.If) and any(isinstance(n, gast.Return)
                                                  for n in walk(statement)):
            body_prefix, body_value = _split_return(statement.body, rule_name)
            rest_prefix, rest_value = _split_return(statement.orelse + statements[position + 1:],
                                                    rule_name)
            if body_prefix or rest_prefix:
                raise RuleError(f"rule {rule_name}: a branch that returns may only hold the "
                                f"return statement")
            return statements[:position], _choose(statement.test, body_value, rest_value)
    raise RuleError(f"rule {rule_name} must end with a return statement")


def _choose(test, when_true, when_false):
    if isinstance(when_true, gast.Tuple) and isinstance(when_false, gast.Tuple) \
            and len(when_true.elts) == len(when_false.elts):
        return make(gast.Tuple, ctx=gast.Load(), elts=[
            _choose(test, a, b) for a, b in zip(when_true.elts, when_false.elts)])
    return make(gast.IfExp, test=clone(test), body=when_true, orelse=when_false)


# -- constant folding --------------------------------------------------------------------------

_BINARY = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
           gast.Div: operator.truediv, gast.Pow: operator.pow, gast.FloorDiv: operator.floordiv,
           gast.Mod: operator.mod}
_COMPARE = {gast.Eq: operator.eq, gast.NotEq: operator.ne, gast.Is: operator.is_,
            gast.IsNot: operator.is_not, gast.Lt: operator.lt, gast.Gt: operator.gt,
            gast.LtE: operator.le, gast.GtE: operator.ge}
_UNKNOWN = object()


def _constant(node):
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.Tuple):                 # axes=(1, 0) and the like
        values = tuple(_constant(e) for e in node.elts)
        return _UNKNOWN if _UNKNOWN in values else values
    return _UNKNOWN


def _is_number(value) -> bool:
    return isinstance(value, (int, float, complex)) and not isinstance(value, bool)


def _fold_binop(node):
    left, right = _constant(node.left), _constant(node.right)
    folder = _BINARY.get(type(node.op))
    if folder and _is_number(left) and _is_number(right):
        try:
            return const(folder(left, right))
        except (ArithmeticError, ValueError):
            return node
    if isinstance(node.op, gast.Pow) and _is_number(right) and right == 1:
        return node.left                      # e ** 1 is e: same value and type
    return node


def _fold_compare(node):
    if len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        left, right = _constant(node.left), _constant(node.comparators[0])
        if left is not _UNKNOWN and right is not _UNKNOWN:
            return const(_COMPARE[type(node.ops[0])](left, right))
    return node


def _fold_boolop(node):
    is_and = isinstance(node.op, gast.And)
    remaining = []
    for value in node.values:
        constant = _constant(value)
        if constant is _UNKNOWN:
            remaining.append(value)
        elif bool(constant) != is_and:            # short-circuits here
            return const(constant) if not remaining else node
    if not remaining:
        return const(is_and)
    if len(remaining) == 1:
        return remaining[0]
    node.values = remaining
    return node


def _fold_unaryop(node):
    operand = _constant(node.operand)
    if operand is not _UNKNOWN:
        if isinstance(node.op, gast.Not):
            return const(not operand)
        if isinstance(node.op, gast.USub) and _is_number(operand):
            return const(-operand)
    return node


def _fold_ifexp(node):
    test = _constant(node.test)
    if test is _UNKNOWN:
        return node
    return node.body if test else node.orelse


def _fold_if(node):
    test = _constant(node.test)
    if test is _UNKNOWN:
        return node
    branch = node.body if test else node.orelse
    return [s for s in branch if not isinstance(s, gast.Pass)]


_FOLDERS = {gast.BinOp: _fold_binop, gast.Compare: _fold_compare, gast.BoolOp: _fold_boolop,
            gast.UnaryOp: _fold_unaryop, gast.IfExp: _fold_ifexp, gast.If: _fold_if}


def rewrite(node, replacements: dict[str, Any]):
    """A copy of ``node`` with names replaced (by a new name, or by a copy of an expression)
    and constant subexpressions folded, in one bottom-up pass.

    Folding never rewrites ``x * 0`` or ``x * 1`` (unsafe for arrays and integer inputs).
    A folded ``if`` statement becomes the statements of the branch taken.
    """
    node_class = type(node)
    if node_class is list:
        result = []
        for item in node:
            item = rewrite(item, replacements)
            if type(item) is list:
                result.extend(item)
            else:
                result.append(item)
        return result
    if node_class is gast.Name:
        replacement = replacements.get(node.id)
        if replacement is None:
            return clone(node)
        if type(replacement) is str:
            return name(replacement, ctx=node.ctx)
        return clone(replacement)
    if not isinstance(node, gast.AST):
        return node
    new = node_class.__new__(node_class)
    values = new.__dict__
    values.update(node.__dict__)
    for field in child_fields(node_class):
        value = values.get(field)
        if value is not None:
            values[field] = rewrite(value, replacements)
    folder = _FOLDERS.get(node_class)
    return folder(new) if folder else new


# -- substitution ------------------------------------------------------------------------------

@dataclass
class Inlined:
    statements: list                 # rule-local statements needed by the cotangents
    cotangents: dict[str, Any]       # parameter name -> cotangent expression


def inline(rule: Rule, arguments: dict[str, Any], out_bar: str, out, wanted: set[str],
           fresh: Callable[[str], str], global_name: Callable[[str, Any], str],
           elide_unbroadcast: Callable[[str], bool]) -> Inlined:
    """Inline ``rule`` for a call whose parameters are bound to the atoms in ``arguments``.

    ``wanted`` names the parameters whose cotangent is needed; ``fresh`` makes a new local
    name; ``global_name`` gives the generated code's name for a global of the rule;
    ``elide_unbroadcast(param)`` says whether ``unbroadcast(g, param)`` is a no-op here.
    """
    tpl = template(rule)
    replacements: dict[str, Any] = {"out_bar": out_bar, "out": out}
    replacements.update(arguments)
    for identifier, value in tpl.globals.items():
        replacements[identifier] = global_name(identifier, value)
    for identifier in tpl.locals:
        replacements[identifier] = fresh(identifier)
    forms = {replacements[identifier]: value
             for identifier, value in tpl.globals.items() if hasattr(value, "constant_form")}
    rewritten = rewrite(_without_unwanted(tpl.body, rule.params, wanted), replacements)
    if forms:
        rewritten = _with_constant_forms(rewritten, forms)
    body, returned = _split_return(rewritten, rule.function.__name__)
    returns = list(returned.elts) if isinstance(returned, gast.Tuple) else [returned]
    cotangents = {}
    unbroadcast_name = replacements.get("unbroadcast")
    for parameter, expression in zip(rule.params, returns):
        if parameter not in wanted or expression is None:
            continue
        if isinstance(expression, gast.Constant) and expression.value is None:
            continue
        if unbroadcast_name:
            expression = _drop_unbroadcast(expression, unbroadcast_name, arguments,
                                           elide_unbroadcast)
        cotangents[parameter] = expression
    return Inlined(_needed(body, cotangents.values()), cotangents)


def _with_constant_forms(node, forms: dict):
    """``node`` with each call of a helper that has a ``constant_form``
    (``power_cotangent(g, x, 2.0)``) written out, in the helper's parameters, where its
    argument is a constant the form covers (``g * 2.0 * x``)."""
    if isinstance(node, list):
        return [_with_constant_forms(item, forms) for item in node]
    if not isinstance(node, gast.AST):
        return node
    for field in child_fields(type(node)):
        value = getattr(node, field, None)
        if isinstance(value, (list, gast.AST)):
            setattr(node, field, _with_constant_forms(value, forms))
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
            node.func.id in forms and not node.keywords:
        helper = forms[node.func.id]
        position, form = helper.constant_form
        constant = _constant(node.args[position]) if len(node.args) > position else _UNKNOWN
        source = form(constant) if _is_number(constant) else None
        if source is not None:
            return rewrite(_form_tree(source), dict(zip(_parameters(helper), node.args)))
    return node


@functools.lru_cache(maxsize=None)
def _parameters(helper) -> tuple[str, ...]:
    return tuple(inspect.signature(helper).parameters)


@functools.lru_cache(maxsize=None)
def _form_tree(source: str):
    return parse(source).body[0].value


def _without_unwanted(body: list, params: tuple[str, ...], wanted: set[str]) -> list:
    """``body`` with the cotangents nobody wants in a final ``return a, b`` replaced by
    ``None``, so they are neither copied nor folded only to be dropped."""
    last = body[-1] if body else None
    if not (isinstance(last, gast.Return) and isinstance(last.value, gast.Tuple)):
        return body
    elements = list(last.value.elts)
    for position, parameter in enumerate(params[:len(elements)]):
        if parameter not in wanted:
            elements[position] = const(None)
    returned = make(gast.Tuple, elts=elements, ctx=last.value.ctx)
    return body[:-1] + [make(gast.Return, value=returned)]


def _drop_unbroadcast(expression, helper: str, arguments, elide: Callable[[str], bool]):
    """``expression`` without the ``helper(g, p)`` calls that ``elide(p)`` says are no-ops."""
    node_class = type(expression)
    if node_class is list:
        return [_drop_unbroadcast(e, helper, arguments, elide) for e in expression]
    if node_class is gast.Name or node_class is gast.Constant or \
            not isinstance(expression, gast.AST):
        return expression
    values = expression.__dict__
    for field in child_fields(node_class):
        value = values.get(field)
        if value is not None:
            values[field] = _drop_unbroadcast(value, helper, arguments, elide)
    if (node_class is gast.Call and type(expression.func) is gast.Name
            and expression.func.id == helper and len(expression.args) == 2):
        operand = expression.args[1]
        for parameter, atom in arguments.items():
            if _same_atom(atom, operand) and elide(parameter):
                return expression.args[0]
    return expression


def _same_atom(a, b) -> bool:
    if isinstance(a, gast.Name) and isinstance(b, gast.Name):
        return a.id == b.id
    if isinstance(a, gast.Constant) and isinstance(b, gast.Constant):
        return a.value is b.value
    return False


def _needed(body: list, expressions) -> list:
    """The statements of ``body`` that the expressions depend on (dead ones dropped)."""
    if not body:
        return []                     # most rules are a bare return
    live = name_ids(list(expressions))
    kept = []
    for statement in reversed(body):
        written = name_ids(statement, gast.Store)
        if written & live or not written:
            kept.append(statement)
            live |= name_ids(statement, gast.Load)
    return list(reversed(kept))
