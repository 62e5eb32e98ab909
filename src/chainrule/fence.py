"""Refuse unsupported syntax before any code runs, pointing at the user's file:line.

The tables below are the single statement of what the transformer accepts; everything else
raises :class:`~chainrule.errors.TransformError` with the construct's name and a hint.
"""

from __future__ import annotations

import gast

from .errors import TransformError
from .parsing import ParsedFunction
from .syntax import walk

# Statements and expressions the later stages handle.
SUPPORTED_STATEMENTS = (gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Return, gast.Expr,
                        gast.Pass, gast.Assert, gast.If, gast.For, gast.While, gast.Break,
                        gast.Continue, gast.FunctionDef)
SUPPORTED_EXPRESSIONS = (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Call, gast.Attribute,
                         gast.Subscript, gast.Name, gast.Constant, gast.Tuple, gast.List,
                         gast.Slice, gast.keyword, gast.BoolOp, gast.IfExp, gast.Lambda,
                         gast.Dict, gast.Starred, gast.ListComp, gast.GeneratorExp,
                         gast.DictComp)
SUPPORTED_OTHER = (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop,
                   gast.arguments, gast.comprehension)

# Refused constructs: node type -> (name shown to the user, what to do instead).
REFUSED = {
    gast.ClassDef: ("class definition", "define the class outside the differentiated function"),
    gast.AsyncFunctionDef: ("async def", "use a plain function"),
    gast.Try: ("try statement", "move error handling outside the differentiated function"),
    gast.Raise: ("raise statement", "validate inputs before calling the gradient"),
    gast.With: ("with statement", "move the context manager outside the function"),
    gast.AsyncWith: ("async with", "move it outside the function"),
    gast.Yield: ("yield (generator)", "return a value instead"),
    gast.YieldFrom: ("yield from (generator)", "return a value instead"),
    gast.Await: ("await", "differentiate synchronous code only"),
    gast.Global: ("global statement", "pass the value in as an argument and return results"),
    gast.Nonlocal: ("nonlocal statement", "pass the value in as an argument and return results"),
    gast.Delete: ("del statement", "leave the name bound"),
    gast.Import: ("import inside the function", "import at module level"),
    gast.ImportFrom: ("import inside the function", "import at module level"),
    gast.AsyncFor: ("async for", "use a plain loop"),
    gast.SetComp: ("set comprehension", "sets are not differentiable containers"),
    gast.Set: ("set literal", "sets are not differentiable containers"),
    gast.NamedExpr: ("assignment expression (:=)", "use a separate assignment statement"),
    gast.JoinedStr: ("f-string", "format strings outside the differentiated function"),
}


def _refuse(parsed: ParsedFunction, node, construct: str, hint: str) -> TransformError:
    return TransformError(f"cannot differentiate {parsed.name}: {construct} is not supported",
                          construct=construct, hint=hint, origin=parsed.origin(node))


def check_supported(parsed: ParsedFunction) -> None:
    """Raise ``TransformError`` at the first construct the transformer cannot handle."""
    arguments = parsed.node.args
    if arguments.vararg is not None or arguments.kwarg is not None:
        star = arguments.vararg or arguments.kwarg
        raise _refuse(parsed, star, "*args/**kwargs parameter",
                      "name each parameter explicitly")
    for statement in parsed.node.body:
        for node in walk(statement):
            _check_node(parsed, node)


def _check_node(parsed: ParsedFunction, node) -> None:
    node_class = type(node)
    refusal = _REFUSAL_OF_CLASS.get(node_class, _UNSEEN)
    if refusal is _UNSEEN:
        refusal = _REFUSAL_OF_CLASS[node_class] = _refusal_of_class(node_class)
    if refusal is not None:
        raise _refuse(parsed, node, *refusal)
    check = _NODE_CHECKS.get(node_class)
    if check is not None:
        check(parsed, node)


_UNSEEN = object()
# The verdict on each node class, worked out once: most nodes need no other check, and this
# runs on every node of the user's function.
_REFUSAL_OF_CLASS: dict[type, tuple[str, str] | None] = {}


def _refusal_of_class(node_class) -> tuple[str, str] | None:
    """(construct, hint) when every node of ``node_class`` is refused, else None."""
    if node_class in REFUSED:
        return REFUSED[node_class]
    if issubclass(node_class, gast.stmt) and not issubclass(node_class, SUPPORTED_STATEMENTS):
        return f"{node_class.__name__} statement", "rewrite it with supported statements"
    if issubclass(node_class, gast.expr) and not issubclass(node_class, SUPPORTED_EXPRESSIONS):
        return f"{node_class.__name__} expression", "rewrite it with supported expressions"
    return None


def _check_ann_assign(parsed: ParsedFunction, node) -> None:
    if node.value is None:
        raise _refuse(parsed, node, "annotation without a value", "assign a value")


def _check_aug_assign(parsed: ParsedFunction, node) -> None:
    _check_target(parsed, node.target)


def _check_assign(parsed: ParsedFunction, node) -> None:
    for target in node.targets:
        _check_target(parsed, target)


def _check_call(parsed: ParsedFunction, node) -> None:
    for argument in node.args:
        for inner in walk(argument):
            if isinstance(inner, gast.Starred) and inner is not argument:
                raise _refuse(parsed, inner, "starred expression inside an argument",
                              "pass the arguments explicitly")


def _check_sequence(parsed: ParsedFunction, node) -> None:
    if any(isinstance(e, gast.Starred) for e in node.elts) and isinstance(node.ctx, gast.Load):
        raise _refuse(parsed, node, "starred expression (*xs) in a literal",
                      "build the sequence with + or np.concatenate")


def _check_comprehension(parsed: ParsedFunction, node) -> None:
    if node.is_async:
        raise _refuse(parsed, node.iter, "async comprehension", "use a plain comprehension")


def _check_dict(parsed: ParsedFunction, node) -> None:
    if any(key is None for key in node.keys):
        raise _refuse(parsed, node, "dict unpacking (**d) in a literal",
                      "build the dict with explicit keys")


# The checks that depend on more than a node's class.
_NODE_CHECKS = {gast.AnnAssign: _check_ann_assign, gast.AugAssign: _check_aug_assign,
                gast.Assign: _check_assign, gast.Call: _check_call,
                gast.Tuple: _check_sequence, gast.List: _check_sequence,
                gast.comprehension: _check_comprehension, gast.Dict: _check_dict}


def _check_target(parsed: ParsedFunction, target) -> None:
    if isinstance(target, gast.Name):
        return
    if isinstance(target, (gast.Tuple, gast.List)):
        for element in target.elts:
            _check_target(parsed, element)
        return
    if isinstance(target, gast.Subscript):
        if not isinstance(target.value, gast.Name):
            raise _refuse(parsed, target, "assignment into an element of an expression",
                          "assign into a named local array, list or dict")
        return
    raise _refuse(parsed, target, f"assignment to {type(target).__name__}",
                  "assign to a plain local name")
