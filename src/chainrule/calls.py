"""Calls into the user's other functions: each gets a forward/backward pair of its own.

``helper_forward(args)`` runs the helper's primal and returns ``(result, record)``, where the
record holds exactly what the reverse sweep needs; ``helper_backward(record, out_bar)``
returns the cotangents of the parameters the call site differentiates. The caller's generated
code calls both, so each helper is transformed once (per set of differentiated parameters),
its source is readable on its own, and recursion works: a function that calls itself uses its
own pair, bound late while it is being transformed.
"""

from __future__ import annotations

import threading
import types
import weakref
from dataclasses import dataclass, field

from . import cache
from .staleness import for_function, still_valid


@dataclass
class VJP:
    forward: object
    backward: object
    source: str                   # the pair's source, followed by what it calls
    dependencies: list = field(default_factory=list)   # see generate.Generated


class _LateBound:
    """Stands for a function still being generated (a recursive call); set when done."""
    __slots__ = ("target", "__name__")

    def __init__(self, label: str):
        self.target = None
        self.__name__ = label

    def __call__(self, *args, **kwargs):
        return self.target(*args, **kwargs)


_bound: "weakref.WeakKeyDictionary[types.FunctionType, dict]" = weakref.WeakKeyDictionary()
_in_progress: dict[tuple, tuple[_LateBound, _LateBound]] = {}
_lock = threading.RLock()


def vjp_of(function: types.FunctionType, wrt: tuple[str, ...], kinds: dict[str, str]) -> VJP:
    """The forward/backward pair of ``function`` for the parameters ``wrt``, specialized for
    the kinds of its arguments (see :mod:`chainrule.kinds`)."""
    specialization = (wrt, tuple(sorted(kinds.items())))
    with _lock:
        pairs = _bound.setdefault(function, {})
        if specialization in pairs and still_valid(pairs[specialization].dependencies):
            return pairs[specialization]
        key = (function, specialization)
        if key in _in_progress:
            forward, backward = _in_progress[key]
            return VJP(forward, backward, "")
        _in_progress[key] = (_LateBound(f"{function.__name__}_forward"),
                             _LateBound(f"{function.__name__}_backward"))
        try:
            pair = _make(function, wrt, kinds)
        finally:
            late_forward, late_backward = _in_progress.pop(key)
        late_forward.target, late_backward.target = pair.forward, pair.backward
        pairs[specialization] = pair
        return pair


def _make(function: types.FunctionType, wrt: tuple[str, ...], kinds: dict[str, str]) -> VJP:
    from .api import _normal_form                   # (api imports this module)
    from .generate import build_gradient
    from .loader import bind, compile_generated
    from .nesting import deeply

    def make():
        generated = build_gradient(_normal_form(function), list(wrt), dict(kinds), "vjp",
                                   function)
        return compile_generated(generated, function.__code__.co_freevars)

    key = ("vjp", function.__code__, id(function.__globals__), wrt,
           tuple(sorted(kinds.items())))
    compiled = cache.lookup(key, lambda: deeply(function, make))
    dependencies = for_function(compiled.generated.dependencies, function)
    if not still_valid(dependencies):
        cache.forget(key)            # a function it calls was redefined, or another closure
        compiled = cache.lookup(key, lambda: deeply(function, make))
        dependencies = for_function(compiled.generated.dependencies, function)
    forward_name, backward_name = compiled.generated.names
    functions = bind(compiled, function, with_defaults=(forward_name,))
    source = "\n".join([compiled.generated.source] + compiled.generated.called)
    return VJP(functions[forward_name], functions[backward_name], source, dependencies)
