"""The table of gradient rules, keyed by the primal callable.

A rule is an ordinary, runnable Python function::

    @adjoint(np.sin)
    def sin_adjoint(out_bar, out, x):
        return out_bar * np.cos(x)

Its parameters are the incoming cotangent ``out_bar``, the primal result ``out``, then the
primal's own parameters (with the primal's defaults for the optional ones). It returns the
cotangent of each leading parameter, in order: a bare expression is the cotangent of the first
parameter, a tuple covers the first few, and ``None`` (or a missing trailing entry) means "no
gradient" for that parameter (``axis``, ``keepdims`` and other non-numeric ones).

The transformer never calls rules: it parses each rule once and inlines its body at the call
site with the real names, so generated code reads like hand-written backprop. Rule bodies are
therefore restricted to what inlines cleanly:

* assignments to plain local names, ``if``/``else`` statements and ``return`` statements;
  a ``return`` inside an ``if`` must either fold away (see below) or be the branch's only
  statement (it then becomes a conditional expression);
* reads of the parameters, of their own locals and of module globals (``np``, ``math`` and the
  helpers of :mod:`chainrule.runtime`, e.g. ``unbroadcast``);
* no mutation of any argument, no loops, no nested functions.

``if`` tests and conditional expressions that only involve constant arguments (``axis=None``,
``keepdims=False``) are folded away when the rule is inlined.

Binary operations whose operands may broadcast wrap each cotangent in
``unbroadcast(g, x)``; the transformer drops that call where it can prove both operands are
Python scalars.
"""

from __future__ import annotations

import inspect
import sys
import warnings
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Rule:
    primal: Any
    function: Callable[..., Any]
    params: tuple[str, ...]            # the primal's parameters, as the rule names them
    defaults: dict[str, Any]           # defaults of the optional ones
    positional: int = 1 << 30          # how many may be given by position (np.gradient's
                                       # spacings come before keyword-only axis=)

    @property
    def name(self) -> str:
        return describe_callable(self.primal)


_ADJOINTS: dict[Any, Rule] = {}
_NONDIFFERENTIABLE: dict[Any, str] = {}   # callable -> why it has no gradient
_METHODS: dict[str, Any] = {}             # array method name -> equivalent NumPy function
_ATTRIBUTES: dict[str, Any] = {}          # array attribute name -> equivalent NumPy function


def _key(fn: Any) -> Any:
    try:
        hash(fn)
        return fn
    except TypeError:
        return ("id", id(fn))


def describe_callable(fn: Any) -> str:
    """The name a user writes for ``fn``: ``sorted``, ``numpy.linalg.eig``,
    ``scipy.special.expit``, ``mymodule.Model.predict``."""
    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    if module == "builtins" and isinstance(fn, (type(abs), type)):
        return name
    return _public_path(fn, module, name) or (f"{module}.{name}" if module else name)


def _public_path(fn: Any, module: str, qualname: str) -> str | None:
    """``fn``'s path through public modules: its ``__module__`` without private parts
    (``numpy._core.fromnumeric`` -> ``numpy``), or a parent of it, that really holds ``fn``
    (``np.linalg.eig`` is ``numpy.linalg.eig``, not ``numpy.eig``). A ufunc's ``__module__``
    says ``numpy``, or nothing, wherever it comes from: one that NumPy does not hold is looked
    for in the other public modules loaded (``scipy.special.expit``)."""
    parts = module.split(".") if module else []
    public = next((i for i, part in enumerate(parts) if part.startswith("_")), len(parts))
    name = getattr(fn, "__name__", None)
    for end in range(1, public + 1):                  # the shortest path first (np.ma.sum)
        prefix = ".".join(parts[:end])
        # np.random.rand: a bound method of a module's instance, under its own name
        if getattr(fn, "__self__", None) is not None and isinstance(name, str) and \
                _holds(sys.modules.get(prefix), name, fn, module):
            return f"{prefix}.{name}"
        if _holds(sys.modules.get(prefix), qualname, fn, module):
            return f"{prefix}.{qualname}"
    if not hasattr(fn, "ntypes") or parts[:1] not in ([], ["numpy"]):      # not a ufunc
        return None
    found = [prefix for prefix, held in list(sys.modules.items())
             if not any(part.startswith("_") for part in prefix.split("."))
             and _holds(held, qualname, fn, module)]
    found.sort(key=lambda prefix: (not prefix.startswith("numpy"), prefix.count("."), prefix))
    return f"{found[0]}.{qualname}" if found else None


def _holds(module: Any, path: str, fn: Any, own: str) -> bool:
    """Whether ``module.path`` is ``fn`` (for a method: the same as in ``fn``'s own module)."""
    value = _resolve(module, path)
    if value is None:
        return False
    if value is fn or ("." in path and value is _resolve(sys.modules.get(own), path)):
        return True
    try:        # a bound method is made anew on each access: equal, not identical
        return getattr(fn, "__self__", None) is not None and type(value) is type(fn) and \
            bool(value == fn)
    except Exception:
        return False


def adjoint(primal: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the gradient rule of ``primal``.

    Example, for a primitive of your own::

        def softplus(x):
            return np.log1p(np.exp(x))

        @chainrule.adjoint(softplus)
        def softplus_adjoint(out_bar, out, x):
            return out_bar / (1.0 + np.exp(-x))

    Calls to ``softplus`` inside differentiated functions then use this rule instead of
    differentiating ``softplus``'s own source. Registering a rule again replaces the old one.
    """

    def register(rule: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(rule)
        names = list(signature.parameters)
        if names[:2] != ["out_bar", "out"] or len(names) < 3:
            raise TypeError(
                f"gradient rule {rule.__name__} must take (out_bar, out, <primal parameters>...), "
                f"got ({', '.join(names)})")
        kinds = {p.kind for p in signature.parameters.values()}
        if kinds & {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}:
            raise TypeError(f"gradient rule {rule.__name__} may not take *args or **kwargs")
        params = tuple(names[2:])
        defaults = {name: p.default for name, p in signature.parameters.items()
                    if p.default is not inspect.Parameter.empty}
        positional = sum(1 for p in list(signature.parameters.values())[2:]
                         if p.kind is not inspect.Parameter.KEYWORD_ONLY)
        _ADJOINTS[_key(primal)] = Rule(primal, rule, params, defaults, positional)
        return rule

    return register


def nondifferentiable(*primals: Any, why: str = "piecewise constant") -> None:
    """Declare callables whose result carries no gradient (comparisons, rounding, shapes)."""
    for primal in primals:
        _NONDIFFERENTIABLE[_key(primal)] = why


def array_method(name: str, function: Any) -> None:
    """``x.name(...)`` on an array is differentiated like ``function(x, ...)``."""
    _METHODS[name] = function


def array_attribute(name: str, function: Any) -> None:
    """``x.name`` on an array is differentiated like ``function(x)``."""
    _ATTRIBUTES[name] = function


def rule_for(fn: Any) -> Rule | None:
    try:
        return _ADJOINTS.get(_key(fn))
    except TypeError:
        return None


def is_nondifferentiable(fn: Any) -> bool:
    try:
        return _key(fn) in _NONDIFFERENTIABLE
    except TypeError:
        return False


def nondifferentiable_reason(fn: Any) -> str | None:
    """Why ``fn``'s result carries no gradient, if it is in the non-differentiable table."""
    try:
        return _NONDIFFERENTIABLE.get(_key(fn))
    except TypeError:
        return None


def method_function(name: str) -> Any | None:
    return _METHODS.get(name)


def attribute_function(name: str) -> Any | None:
    return _ATTRIBUTES.get(name)


def registered_rules() -> list[Rule]:
    return list(_ADJOINTS.values())


def registered_nondifferentiable() -> dict[Any, str]:
    return dict(_NONDIFFERENTIABLE)


def registered_methods() -> dict[str, Any]:
    return dict(_METHODS)


def registered_attributes() -> dict[str, Any]:
    return dict(_ATTRIBUTES)


def _resolve(module: Any, path: str) -> Any:
    value = module
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for part in path.split("."):
                if value is None:
                    return None
                value = getattr(value, part)
    except Exception:            # missing, or a lazy or deprecated attribute that fails
        return None
    return value
