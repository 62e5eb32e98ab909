"""Load a generated program and check chainrule on it.

``check_program(program)`` returns an :class:`Outcome`:

* ``passed``: the transform succeeded, ``check_grad`` passed, the generated source re-parses and
  compiles, ``value_and_grad`` returns ``f``'s value, and no input was modified.
* ``kink``: the input sits near a piece boundary of the program (trace rule, see
  ``programs.py``) and was not checked.
* ``unstable``: finite differences with steps 1e-4 and 1e-6 disagree (finite-difference rule),
  the value is so large that its rounding alone moves a finite difference past the tolerance,
  or the program overflows a float at its own inputs (``math`` raises OverflowError): not
  checked.
* ``failed``: a chainrule bug candidate, with a ``category``: ``refused`` (TransformError:
  the generator only emits supported constructs), ``crash`` (any other exception from chainrule
  or from the generated code), ``hang`` (the transform or the gradient ran for more than
  ``TIME_LIMIT`` seconds, while ``f`` itself returns at once), ``source`` (generated source
  does not re-parse/compile), ``value`` (``value_and_grad``'s value differs from ``f``),
  ``gradient`` (``check_grad`` failed), ``mutation`` (an input was modified).
* ``known``: a failure explained by a bug listed in ``known.py`` (not fixed yet).
* ``invalid``: the program itself misbehaves (raises, non-finite or non-scalar value,
  modifies its inputs): a generator bug, never chainrule's.

Programs are given source by registering their text in ``linecache`` under a unique filename
(``<chainrule-fuzz-N>``) and compiling with that filename, which is where ``inspect`` (and so
chainrule) finds it.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import itertools
import linecache
import signal
import threading
import traceback
import types
from dataclasses import dataclass

import numpy as np

import chainrule

from .known import known_bug
from .programs import Program

_serial = itertools.count(1)
TIME_LIMIT = 3.0                    # seconds for everything chainrule does with one program
STEPS = (1e-6, 1e-5, 1e-4)          # trace rule: perturbations that must not change the path
RTOL, ATOL = 1e-5, 1e-6             # check_grad's defaults


@dataclass
class Outcome:
    status: str                      # passed / kink / unstable / failed / known / invalid
    category: str = ""
    message: str = ""
    bug: str = ""                    # for ``known``: the KnownBug's name

    @property
    def failed(self) -> bool:
        return self.status == "failed"


class FuzzFailure(AssertionError):
    """A generated program on which chainrule misbehaves."""


class Hang(BaseException):
    """chainrule ran past ``TIME_LIMIT`` on one program (a BaseException, so that the
    ``except Exception`` clauses of the check do not take it for a crash)."""


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise :class:`Hang` in the block after ``seconds`` (main thread on Unix; elsewhere no
    limit)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise Hang(f"still running after {seconds:.0f}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load(source: str, traced: bool = False) -> types.ModuleType:
    """Execute ``source`` as a fresh module whose functions have retrievable source."""
    number = next(_serial)
    filename = f"<chainrule-fuzz-{number}>"
    module = types.ModuleType(f"chainrule_fuzz_{number}")
    if traced:
        tree = ast.fix_missing_locations(_Instrument().visit(ast.parse(source)))
        code = compile(tree, filename, "exec")
        module.__dict__.update(_TRACERS)
    else:
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        code = compile(source, filename, "exec")
    exec(code, module.__dict__)
    return module


def forget(module: types.ModuleType) -> None:
    """Drop a loaded program's source from ``linecache``."""
    f = module.__dict__.get("f")
    if f is not None:
        linecache.cache.pop(f.__code__.co_filename, None)


# -- trace rule ------------------------------------------------------------------------------

_TRACE: list = []


def _br(value):
    _TRACE.append(tuple(np.ravel(value).tolist()) if np.ndim(value) else bool(value))
    return value


def _sign(a, b=0.0):
    return tuple(np.ravel(np.sign(np.subtract(a, b))).tolist())


def _abs(a):
    _TRACE.append(("abs", _sign(a)))
    return abs(a)


def _extreme(name, reducer):
    def traced(*args):
        values = list(args[0]) if len(args) == 1 else list(args)
        best = reducer(values)
        _TRACE.append((name, tuple(i for i, v in enumerate(values) if v == best)))
        return reducer(*args)
    return traced


def _np_extreme(name, reducer):
    def traced(a, *args, **kwargs):
        flat = np.ravel(a)
        best = reducer(flat)
        _TRACE.append((name, tuple(np.flatnonzero(flat == best).tolist())))
        return getattr(np, name)(a, *args, **kwargs)
    return traced


def _np_pairwise(name):
    def traced(a, b, *args, **kwargs):
        _TRACE.append((name, _sign(a, b)))
        return getattr(np, name)(a, b, *args, **kwargs)
    return traced


def _np_abs(a, *args, **kwargs):
    _TRACE.append(("np.abs", _sign(a)))
    return np.abs(a, *args, **kwargs)


_TRACERS = {
    "_br": _br, "_abs": _abs, "_max": _extreme("max", max), "_min": _extreme("min", min),
    "_np_max": _np_extreme("max", np.max), "_np_min": _np_extreme("min", np.min),
    "_np_amax": _np_extreme("amax", np.max), "_np_amin": _np_extreme("amin", np.min),
    "_np_maximum": _np_pairwise("maximum"), "_np_minimum": _np_pairwise("minimum"),
    "_np_abs": _np_abs, "_np_absolute": _np_abs,
}


class _Instrument(ast.NodeTransformer):
    """Record every comparison and every kinked call of the program in ``_TRACE``."""

    def visit_Compare(self, node):
        self.generic_visit(node)
        return ast.Call(ast.Name("_br", ast.Load()), [node], [])

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and f"_{func.id}" in _TRACERS:
            node.func = ast.Name(f"_{func.id}", ast.Load())
        elif (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
              and func.value.id == "np" and f"_np_{func.attr}" in _TRACERS):
            node.func = ast.Name(f"_np_{func.attr}", ast.Load())
        return node


def _trace(f, args) -> tuple:
    _TRACE.clear()
    f(*copy.deepcopy(args))
    return tuple(_TRACE)


def _perturbed(args, position, index, delta):
    args = list(copy.deepcopy(args))
    value = args[position]
    if isinstance(value, np.ndarray):
        value = value.astype(np.float64)
        value[index] += delta
    else:
        value = float(value) + delta
    args[position] = value
    return args


def _coordinates(program: Program, parameters: list):
    for name in program.wrt:
        position = parameters.index(name)
        for index in np.ndindex(*np.shape(program.args[position])):
            yield position, index


def near_kink(traced_f, program: Program, parameters: list) -> bool:
    base = _trace(traced_f, program.args)
    for position, index in _coordinates(program, parameters):
        for step in STEPS:
            for delta in (step, -step):
                if _trace(traced_f, _perturbed(program.args, position, index, delta)) != base:
                    return True
    return False


def unstable(f, program: Program, parameters: list, value: float) -> bool:
    # Rounding the value to float64 moves a finite difference by up to |f| * 2**-52 / step:
    # past the tolerance, finite differences cannot judge a gradient (f = 2e12 + x0 gives 0).
    noise = abs(float(value)) * 2.0 ** -52 / 1e-6
    for position, index in _coordinates(program, parameters):
        estimates = []
        for step in (1e-4, 1e-6):
            plus = float(f(*_perturbed(program.args, position, index, step)))
            minus = float(f(*_perturbed(program.args, position, index, -step)))
            estimates.append((plus - minus) / (2 * step))
        coarse, fine = estimates
        if not np.isfinite(fine) or abs(coarse - fine) > ATOL + RTOL * abs(fine) or \
                noise > ATOL + RTOL * abs(fine):
            return True
    return False


# -- the check -------------------------------------------------------------------------------

def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    return a == b


def _error(category: str, error: BaseException) -> Outcome:
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    return Outcome("failed", category, text)


def check_program(program: Program) -> Outcome:
    """Check chainrule on one generated program (see the module docstring)."""
    try:
        module = load(program.source)
        module.f
    except Exception as error:                      # noqa: BLE001 - not a valid program
        return Outcome("invalid", "raises", repr(error))
    try:
        with _time_limit(TIME_LIMIT):
            outcome = _check(module, program)
    except Hang as error:
        outcome = Outcome("failed", "hang", str(error))
    finally:
        forget(module)
    if outcome.failed:
        bug = known_bug(program, outcome)
        if bug is not None:
            return Outcome("known", outcome.category, outcome.message, bug.name)
    return outcome


def _check(module, program: Program) -> Outcome:
    f = module.f
    parameters = list(f.__code__.co_varnames[:f.__code__.co_argcount])
    args = program.args
    snapshot = copy.deepcopy(args)
    try:
        value = f(*args)
    except OverflowError:                           # pow/exp chains past 1e308
        return Outcome("unstable")
    except Exception as error:                      # noqa: BLE001 - a generator bug
        return Outcome("invalid", "raises", repr(error))
    if not all(_same(a, b) for a, b in zip(args, snapshot)):
        return Outcome("invalid", "mutates", "the program modified its inputs")
    if not isinstance(value, (int, float, np.floating)) or not np.isfinite(value):
        return Outcome("invalid", "value", f"f returned {value!r}")

    try:
        traced = load(program.source, traced=True).f
        if near_kink(traced, program, parameters):
            return Outcome("kink")
        if unstable(f, program, parameters, value):
            return Outcome("unstable")
    except Exception as error:                      # noqa: BLE001 - a harness bug
        return Outcome("invalid", "harness", repr(error))

    wrt = program.wrt
    try:
        gradient = chainrule.grad(f, wrt=wrt)
        source = gradient.source_for(*args)
    except chainrule.TransformError as error:
        return _error("refused", error)
    except Exception as error:                      # noqa: BLE001
        return _error("crash", error)
    try:
        ast.parse(source)
        compile(source, "<generated>", "exec")
    except SyntaxError as error:
        return _error("source", error)
    try:
        got, _ = chainrule.value_and_grad(f, wrt=wrt)(*args)
    except chainrule.TransformError as error:
        return _error("refused", error)
    except Exception as error:                      # noqa: BLE001
        return _error("crash", error)
    if not np.isclose(float(got), float(value), rtol=1e-9, atol=1e-12):
        return Outcome("failed", "value", f"value_and_grad gave {got!r}, f gave {value!r}")
    try:
        chainrule.check_grad(f, *args, wrt=wrt)
    except chainrule.GradientCheckError as error:
        return _error("gradient", error)
    except chainrule.TransformError as error:
        return _error("refused", error)
    except Exception as error:                      # noqa: BLE001
        return _error("crash", error)
    if not all(_same(a, b) for a, b in zip(args, snapshot)):
        return Outcome("failed", "mutation", "an input was modified by the gradient")
    return Outcome("passed")


def assert_program_ok(program: Program) -> Outcome:
    """``check_program``, raising :class:`FuzzFailure` on a failure or a generator bug."""
    outcome = check_program(program)
    if outcome.status in ("failed", "invalid"):
        raise FuzzFailure(f"{outcome.status} ({outcome.category}): {outcome.message}\n"
                          f"{program!r}")
    return outcome
