"""Compile generated source and bind it to the user's function.

The source is compiled once under a unique file name registered in ``linecache`` (so
tracebacks and ``inspect.getsource`` show generated lines). It is wrapped in a factory whose
parameters are the helpers the code needs, which makes them closure variables of the generated
function. Binding then builds the function on the *user's own* globals dict (never a copy, never
written to) with closure cells: the user's own cells for their free variables, so they are read
when the gradient runs, and fresh cells for chainrule's helpers.
"""

from __future__ import annotations

import itertools
import linecache
import textwrap
import types
from dataclasses import dataclass

from .generate import Generated

_counter = itertools.count(1)


@dataclass
class Compiled:
    generated: Generated
    codes: dict[str, types.CodeType]   # code object of each generated function, by name
    filename: str


def compile_generated(generated: Generated, free_variables: tuple[str, ...]) -> Compiled:
    factory_params = list(generated.helpers) + [v for v in free_variables
                                                if v not in generated.helpers]
    text = (f"def make_{generated.name}({', '.join(factory_params)}):\n"
            + textwrap.indent(generated.source, "    ")
            + f"    return {', '.join(generated.names)}\n")
    filename = f"<chainrule {generated.name} #{next(_counter)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    module_code = compile(text, filename, "exec")
    factory_code = next(c for c in module_code.co_consts if isinstance(c, types.CodeType))
    codes = {c.co_name: c for c in factory_code.co_consts if isinstance(c, types.CodeType)}
    return Compiled(generated, codes, filename)


def bind(compiled: Compiled, function: types.FunctionType,
         with_defaults: tuple[str, ...] = ()) -> dict[str, types.FunctionType]:
    """The generated functions, by name, running against ``function``'s globals and closure.

    Those named in ``with_defaults`` get ``function``'s defaults (a forward function takes the
    same arguments). A generated function that calls itself or its partner (recursion) reads
    it from a cell filled once all are made.
    """
    user_cells = dict(zip(function.__code__.co_freevars, function.__closure__ or ()))
    own_cells = {name: types.CellType() for name in compiled.generated.names}
    bound = {}
    for name in compiled.generated.names:
        code = compiled.codes[name]
        cells = []
        for variable in code.co_freevars:
            if variable in own_cells:
                cells.append(own_cells[variable])
            elif variable in compiled.generated.helpers:
                cells.append(types.CellType(compiled.generated.helpers[variable]))
            else:
                cells.append(user_cells[variable])
        defaults = name in with_defaults
        made = types.FunctionType(code, function.__globals__, name,
                                  function.__defaults__ if defaults else None, tuple(cells))
        if defaults:
            made.__kwdefaults__ = function.__kwdefaults__
        bound[name] = made
    for name, cell in own_cells.items():
        cell.cell_contents = bound[name]
    return bound
