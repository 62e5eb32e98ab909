"""What ``grad`` can be applied to, reduced to one Python function plus bound arguments.

* a plain function (or lambda, or one defined in a notebook cell);
* a bound method: the instance is bound as the first argument;
* ``functools.partial``: its positional and keyword arguments are bound;
* a function wrapped by another decorator (``functools.wraps``) whose wrapper only passes its
  arguments through (``return func(*args, **kwargs)``, maybe after logging): the wrapped
  function is differentiated. A wrapper that does anything else with the values is
  differentiated as it is (and refused if it cannot be).
"""

from __future__ import annotations

import functools
import inspect
import textwrap
import types
from dataclasses import dataclass, field
from typing import Any

import gast

from .syntax import name_ids, parse, walk


@dataclass
class Target:
    function: types.FunctionType
    leading: tuple = ()                                  # positional arguments bound first
    keywords: dict[str, Any] = field(default_factory=dict)   # keyword arguments bound


def resolve_target(obj: Any) -> Target | None:
    """The function to transform for ``obj``, or None when ``obj`` is not a Python function
    in any of the supported forms."""
    if isinstance(obj, types.MethodType):
        inner = resolve_target(obj.__func__)
        return inner and Target(inner.function, (obj.__self__,) + inner.leading,
                                inner.keywords)
    if isinstance(obj, functools.partial):
        inner = resolve_target(obj.func)
        return inner and Target(inner.function, inner.leading + tuple(obj.args),
                                {**inner.keywords, **obj.keywords})
    if isinstance(obj, (staticmethod, classmethod)):
        return resolve_target(obj.__func__)
    if isinstance(obj, types.FunctionType):
        wrapped = getattr(obj, "__wrapped__", None)
        if wrapped is not None and _passes_arguments_through(obj, wrapped):
            return resolve_target(wrapped)
        return Target(obj)
    return None


def _passes_arguments_through(wrapper: types.FunctionType, wrapped: Any) -> bool:
    """Whether every return of ``wrapper`` is ``<wrapped>(*args, **kwargs)`` with its own
    ``*args``/``**kwargs`` unchanged."""
    code = wrapper.__code__
    if not (code.co_flags & inspect.CO_VARARGS and code.co_flags & inspect.CO_VARKEYWORDS):
        return False
    try:
        node = parse(textwrap.dedent(inspect.getsource(wrapper.__code__))).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return False
    if not isinstance(node, gast.FunctionDef):
        return False
    varargs, kwargs = node.args.vararg.id, node.args.kwarg.id
    cells = dict(zip(code.co_freevars, wrapper.__closure__ or ()))
    returns = [n for n in walk(node) if isinstance(n, gast.Return)]
    stores = name_ids(node, gast.Store)
    if not returns or varargs in stores or kwargs in stores:
        return False
    for statement in returns:
        call = statement.value
        if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Name)
                and len(call.args) == 1 and isinstance(call.args[0], gast.Starred)
                and getattr(call.args[0].value, "id", None) == varargs
                and len(call.keywords) == 1 and call.keywords[0].arg is None
                and getattr(call.keywords[0].value, "id", None) == kwargs):
            return False
        cell = cells.get(call.func.id)
        try:
            target = cell.cell_contents if cell is not None else wrapper.__globals__.get(
                call.func.id)
        except ValueError:
            return False
        if target is not wrapped:
            return False
    return True
