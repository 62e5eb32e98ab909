"""The public entry points: ``grad``, ``value_and_grad`` and ``source``.

A gradient function wraps the user's function: on each call it picks the generated code
specialized for the kinds of the arguments (Python scalar, array, container), runs it, and
gives every gradient its argument's shape and floating dtype.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import operator
import types
from typing import Any, Callable, Sequence, Union

import numpy as np

from . import cache
from .fence import check_supported
from .loader import bind, compile_generated
from .nesting import deeply
from .normalize import NormalFunction, normalize, parameter_names
from .parsing import parse_function
from .targets import Target, resolve_target
from .generate import build_gradient
from .staleness import for_function, still_valid
from .kinds import CONTAINER, NUMERIC, SCALAR, kind_of_value
from .shapes import shape_class

Wrt = Union[int, str, Sequence[Union[int, str]]]


def _normal_form(function: types.FunctionType) -> NormalFunction:
    def make():
        parsed = parse_function(function)
        check_supported(parsed)
        return normalize(parsed)
    return cache.lookup(("normal", function.__code__), lambda: deeply(function, make))


def _resolve_wrt(function: types.FunctionType, wrt: Wrt,
                 names: list[str]) -> tuple[tuple[str, ...], bool]:
    """Parameter names to differentiate with respect to (indices count ``names``, the
    parameters the caller passes), and whether a single one was asked for."""
    single = isinstance(wrt, (int, str))
    if not single and not isinstance(wrt, (tuple, list)):
        raise TypeError(f"wrt must be a parameter index, a parameter name, or a tuple of "
                        f"them; got {wrt!r}")
    chosen = []
    for item in ([wrt] if single else list(wrt)):
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise TypeError(f"wrt must be a parameter index, a parameter name, or a tuple of "
                            f"them; got {item!r}")
        if isinstance(item, int):
            if not -len(names) <= item < len(names):
                raise ValueError(f"wrt={item} is out of range: {function.__name__} has "
                                 f"{len(names)} parameters ({', '.join(names)})")
            item = names[item]
        elif item not in names:
            raise ValueError(f"wrt={item!r} is not a parameter of {function.__name__}; "
                             f"its parameters are: {', '.join(names)}")
        kind = inspect.signature(function).parameters[item].kind
        if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise ValueError(f"wrt={item!r} names a *args/**kwargs parameter")
        chosen.append(item)
    if not chosen:
        raise ValueError("wrt must name at least one parameter")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"wrt names a parameter twice: {tuple(chosen)}")
    return tuple(chosen), single


def _check_differentiable_argument(function_name: str, parameter: str, value: Any) -> None:
    kind = type(value)
    if kind is float or kind is int or kind is bool:
        return
    if kind is list or kind is tuple:
        for item in value:
            _check_differentiable_argument(function_name, parameter, item)
        return
    if isinstance(value, (np.ndarray, np.generic)):
        dtype_kind = value.dtype.kind
        if dtype_kind in "biuf":
            return
        if dtype_kind == "c":
            raise TypeError(f"{function_name}: argument '{parameter}' is complex; chainrule "
                            f"differentiates real-valued functions of real inputs only")
    if isinstance(value, (int, float)):      # subclasses of Python numbers
        return
    raise TypeError(f"{function_name}: cannot differentiate with respect to argument "
                    f"'{parameter}' of type {type(value).__name__}; expected a number or a "
                    f"numeric NumPy array")


_FLOAT64 = np.dtype(np.float64)
_SHAPE_AND_DTYPE = operator.attrgetter("shape", "dtype")
_KIND_OF_TYPE = {float: SCALAR, int: SCALAR, bool: SCALAR, list: CONTAINER, tuple: CONTAINER}
_KINDS_OF_TYPES: dict[tuple, tuple] = {}      # argument types -> kinds, for the cached call
_NUMBER_TYPES = (float, int, bool)
_MAX_SHAPES = 256           # exact shape combinations remembered per argument kinds


class _ByShapes(dict):
    """Generated functions for one tuple of argument kinds, by the exact shapes (and
    dtypes) of the arguments of kind NUMERIC (at ``positions``): code made per shape
    class."""
    __slots__ = ("positions", "every")

    def __init__(self, kinds: tuple[str, ...]):
        super().__init__()
        self.positions = [i for i, kind in enumerate(kinds) if kind == NUMERIC]
        self.every = len(self.positions) == len(kinds)

    def key(self, arguments: tuple) -> tuple:
        try:
            return tuple(map(_SHAPE_AND_DTYPE, arguments if self.every else
                             [arguments[i] for i in self.positions]))
        except AttributeError:               # a numeric type without shapes: no array
            return tuple([(getattr(arguments[i], "shape", None),
                           getattr(arguments[i], "dtype", None)) for i in self.positions])


def _finish(gradient: Any, argument: Any, arguments: tuple) -> Any:
    """Give ``gradient`` the shape and floating dtype of ``argument``, never aliasing inputs.
    A list or tuple argument gets a list or tuple of gradients."""
    if type(gradient) is np.ndarray and type(argument) is np.ndarray and \
            gradient.dtype is _FLOAT64 and argument.dtype is _FLOAT64 and \
            gradient.base is None and gradient.shape == argument.shape:
        for given in arguments:                # the common case, checked cheaply
            if given is gradient:
                return gradient.copy()
        return gradient
    if type(argument) is float or type(argument) is int or type(argument) is bool:
        return 0.0 if gradient is None else float(gradient)
    if type(argument) is list or type(argument) is tuple:
        parts = gradient if gradient is not None else [None] * len(argument)
        if len(parts) != len(argument):
            raise ValueError(f"internal error: gradient of a {len(argument)}-element "
                             f"{type(argument).__name__} has {len(parts)} elements")
        return type(argument)(_finish(g, a, arguments) for g, a in zip(parts, argument))
    argument_array = argument if type(argument) is np.ndarray else np.asarray(argument)
    dtype = argument_array.dtype if argument_array.dtype.kind == "f" else _FLOAT64
    if gradient is None:
        result = np.zeros(argument_array.shape, dtype=dtype)
    else:
        result = gradient if type(gradient) is np.ndarray else np.asarray(gradient)
        if result.shape != argument_array.shape:
            result = np.broadcast_to(result, argument_array.shape)
        if result.dtype != dtype:
            result = result.astype(dtype)
        elif not result.flags.owndata or any(result is a for a in arguments):
            # A view (of a broadcast, or perhaps of an input) or an input itself: the caller
            # gets an array of its own.
            result = result.copy()
    if isinstance(argument, np.generic):
        return dtype.type(result)
    if not isinstance(argument, np.ndarray):
        return float(result)
    return result


class GradientFunction:
    """The callable returned by :func:`grad` and :func:`value_and_grad`."""

    def __init__(self, primal: Callable, target: Target, wrt: Wrt, mode: str):
        function = target.function
        self.primal = primal
        self.mode = mode
        self._returns_value = mode != "grad"        # value_and_grad: (value, gradients)
        self._target = target
        self._requested_wrt = wrt
        self._signature = inspect.signature(function)
        self._parameters = list(self._signature.parameters)
        free = self._parameters[len(target.leading):]     # what the caller still passes
        self.wrt, self._single = _resolve_wrt(function, wrt, free)
        self._wrt_positions = [self._parameters.index(p) for p in self.wrt]
        self._wrt_arguments = operator.itemgetter(*self._wrt_positions)
        self._finish_gradients = self._gradient_finisher()
        # kinds -> code, or (for code made per shape class) _ByShapes: exact shapes -> code
        self._specialized: dict[tuple, Callable | _ByShapes] = {}
        self._dependencies: dict[tuple, list] = {}
        self._call_plans: dict[tuple, tuple] = {}      # argument types -> see _call_plan
        self._latest: Callable | None = None    # the code the latest call ran (for .source)
        self._bound_arguments = bool(target.leading or target.keywords)
        functools.update_wrapper(self, primal)
        self.__signature__ = inspect.signature(primal)

    # -- specialization ---------------------------------------------------------------------

    def _specialize(self, kinds: tuple[str, ...], arguments: tuple | None = None) -> Callable:
        """The generated function for these argument kinds, and for the shape class of
        ``arguments`` when given (code that relies on shapes is registered per exact shapes;
        see ``shapes.py``)."""
        function = self._target.function
        shapes = shape_class(arguments) if arguments is not None else None
        # Floating arrays only: arithmetic on them cannot raise (integer or boolean arrays
        # can: a negative power, bool - bool), so grad may leave out what only the value needs.
        floats = shapes is not None and all(
            argument.dtype.kind == "f" for argument in arguments
            if isinstance(argument, (np.ndarray, np.generic)))

        def make():
            normal = _normal_form(function)
            names = parameter_names(normal.parsed.node)
            generated = build_gradient(normal, list(self.wrt), dict(zip(names, kinds)),
                                       self.mode, function,
                                       None if shapes is None else dict(zip(names, shapes)),
                                       floats)
            return compile_generated(generated, function.__code__.co_freevars)

        key = ("gradient", function.__code__, id(function.__globals__), self.wrt, self.mode,
               kinds)
        compiled = cache.lookup_for_shapes(key, None if shapes is None else (shapes, floats),
                                           lambda: deeply(function, make))
        dependencies = for_function(compiled.generated.dependencies, function)
        if not still_valid(dependencies):
            cache.forget(key)        # a function it calls was redefined, or another closure
            compiled = cache.lookup_for_shapes(key, shapes, lambda: deeply(function, make))
            dependencies = for_function(compiled.generated.dependencies, function)
        bound = bind(compiled, function)[compiled.generated.name]
        bound.chainrule_source = "\n".join([compiled.generated.source] +
                                           compiled.generated.called)
        if arguments is None:
            return bound                         # the general code, to show: calls get theirs
        if compiled.generated.uses_shapes:
            by_shapes = self._specialized.get(kinds)
            if type(by_shapes) is not _ByShapes or len(by_shapes) >= _MAX_SHAPES:
                by_shapes = self._specialized[kinds] = _ByShapes(kinds)   # (re)start
            by_shapes[by_shapes.key(arguments)] = bound
        else:
            self._specialized[kinds] = bound
        # The same for every shape class: which of your functions the code calls.
        self._dependencies[kinds] = dependencies
        return bound

    def _kinds_of_types(self, types_: tuple) -> tuple[str, ...]:
        """The argument kinds for these argument types (decided once per tuple of types)."""
        for position, kind in enumerate(types_):
            if issubclass(kind, np.matrix):
                raise TypeError(
                    f"{self._target.function.__name__}: argument "
                    f"'{self._parameters[position]}' is a np.matrix, whose * and ** are "
                    f"matrix operations that chainrule's rules do not follow; pass "
                    f"np.asarray(...) (and write @ for matrix products)")
        return tuple([_KIND_OF_TYPE.get(kind, NUMERIC) for kind in types_])

    def _call_plan(self, types_: tuple) -> tuple:
        """For a tuple of argument types: their kinds, the differentiated arguments whose
        values must be checked (types other than Python numbers), and those of them that
        still need it when the shape-class table (keyed by dtypes) has the code."""
        kinds = _KINDS_OF_TYPES.get(types_)
        if kinds is None:
            kinds = _KINDS_OF_TYPES[types_] = self._kinds_of_types(types_)
        checked = tuple(p for p in self._wrt_positions if types_[p] not in _NUMBER_TYPES)
        return kinds, checked, tuple(p for p in checked if kinds[p] != NUMERIC)

    def _code_slot(self, arguments: tuple) -> tuple[dict, tuple]:
        """Where the generated function for these (already called with) arguments is kept:
        ``table[key]``. For the benchmarks, which time or replace it."""
        kinds = tuple(map(kind_of_value, arguments))
        if type(self._specialized.get(kinds)) is _ByShapes:
            return self._specialized[kinds], self._specialized[kinds].key(arguments)
        return self._specialized, kinds

    def _all_arguments(self, args: tuple, kwargs: dict) -> tuple:
        if self._bound_arguments:
            args = self._target.leading + args
            kwargs = {**self._target.keywords, **kwargs}
        if not kwargs and len(args) == len(self._parameters):
            return args
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{self._target.function.__name__}(): {error}") from None
        bound.apply_defaults()
        return tuple(bound.arguments[p] for p in self._parameters)

    # -- calling ----------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        if kwargs or self._bound_arguments or len(args) != len(self._parameters):
            arguments = self._all_arguments(args, kwargs)
        else:
            arguments = args                   # the common call, checked cheaply
        types_ = tuple(map(type, arguments))
        plan = self._call_plans.get(types_)
        if plan is None:
            plan = self._call_plans[types_] = self._call_plan(types_)
        kinds, checked, checked_when_keyed = plan
        generated = self._specialized.get(kinds)
        if type(generated) is _ByShapes:         # code made for the arguments' shape class
            # Keyed by dtypes too: a hit is for arrays whose dtypes passed the check.
            generated = generated.get(generated.key(arguments))
            if generated is not None:
                checked = checked_when_keyed
        for position in checked:
            argument = arguments[position]
            if not (type(argument) is np.ndarray and argument.dtype.kind in "biuf"):
                _check_differentiable_argument(self._target.function.__name__,
                                               self._parameters[position], argument)
        if generated is None:
            generated = self._specialize(kinds, arguments)
        elif self._dependencies[kinds] and not still_valid(self._dependencies[kinds]):
            del self._specialized[kinds]         # stale for every shape: a callee was redefined
            generated = self._specialize(kinds, arguments)
        self._latest = generated
        result = generated(*arguments)
        if self._returns_value:
            value, gradients = result
            return value, self._finish_gradients(gradients, arguments)
        return self._finish_gradients(result, arguments)

    def _gradient_finisher(self) -> Callable:
        """The function giving the generated code's gradients (a bare one for a single
        ``wrt``) their arguments' shapes and dtypes, chosen once for this ``wrt``."""
        if len(self.wrt) > 1:
            wrt_arguments = self._wrt_arguments

            def finish_all(gradients, arguments):
                return tuple(map(_finish, gradients, wrt_arguments(arguments),
                                 itertools.repeat(arguments)))
            return finish_all
        position, single = self._wrt_positions[0], self._single

        def finish_one(gradient, arguments):
            gradient = _finish(gradient, arguments[position], arguments)
            return gradient if single else (gradient,)
        return finish_one

    @property
    def source(self) -> str:
        """The generated gradient source: for the arguments of the latest call (or
        :meth:`source_for`), or before any, the general code for array arguments."""
        if self._latest is None:
            return self._specialize(tuple(NUMERIC for _ in self._parameters)).chainrule_source
        return self._latest.chainrule_source

    def source_for(self, *args, **kwargs) -> str:
        """The generated source specialized for these example arguments."""
        arguments = self._all_arguments(args, kwargs)
        self._kinds_of_types(tuple(map(type, arguments)))          # refuses what calls refuse
        self._latest = self._specialize(tuple(map(kind_of_value, arguments)), arguments)
        return self._latest.chainrule_source

    def __repr__(self) -> str:
        label = getattr(self.primal, "__qualname__", None) or repr(self.primal)
        return f"<chainrule {self.mode} of {label} wrt {self.wrt}>"

    def __get__(self, instance, owner=None):
        """``@grad`` on a method: accessed through an instance, the instance is bound as
        ``self`` and ``wrt`` counts the remaining parameters."""
        if instance is None:
            return self
        target = Target(self._target.function, (instance,) + self._target.leading,
                        self._target.keywords)
        method = types.MethodType(self.primal, instance)
        return GradientFunction(method, target, self._requested_wrt, self.mode)


def _transform(function, wrt: Wrt, mode: str):
    if function is None:
        return lambda f: _transform(f, wrt, mode)
    if isinstance(function, GradientFunction):
        raise TypeError("second derivatives (grad of a gradient function) are not supported "
                        "yet; differentiate the original function")
    if not callable(function) and not isinstance(function, (staticmethod, classmethod)):
        raise TypeError(f"grad expects a function, got {type(function).__name__}")
    target = resolve_target(function)
    if target is None:
        parse_function(function)    # explains what it is (builtin, ufunc, ...) and raises
    _normal_form(target.function)   # refuse unsupported syntax now, at decoration time
    return GradientFunction(function, target, wrt, mode)


def grad(f: Callable | None = None, *, wrt: Wrt = 0):
    """The gradient of a scalar-valued function, computed by generated source code.

    Usable as ``@grad``, ``@grad(wrt=...)`` and ``grad(f, wrt=...)``. ``wrt`` is a parameter
    index, a parameter name, or a tuple of them: a single one gives one gradient, a tuple gives
    a tuple of gradients in that order. Each gradient has its argument's shape and a floating
    dtype (``float`` for Python numbers, ``float32`` arrays stay ``float32``, integer inputs
    give float gradients). The returned callable keeps ``f``'s name, docstring and signature,
    and exposes ``.source`` (the generated code) and ``.primal`` (``f``).

    >>> def f(x):
    ...     return 3 * x ** 2 - 4 * x + 5
    >>> grad(f)(3.0)
    14.0
    """
    return _transform(f, wrt, "grad")


def value_and_grad(f: Callable | None = None, *, wrt: Wrt = 0):
    """Like :func:`grad`, but the gradient function returns ``(value, gradient)``."""
    return _transform(f, wrt, "value_and_grad")


def source(f: Callable, *args, wrt: Wrt = 0, **kwargs) -> str:
    """The generated gradient source of ``f`` (as ``grad(f, wrt=wrt).source``); with example
    arguments, the source specialized for them."""
    gradient = f if isinstance(f, GradientFunction) else grad(f, wrt=wrt)
    if args or kwargs:
        return gradient.source_for(*args, **kwargs)
    return gradient.source
