"""Getting a function's source, parsing it with gast, and resolving the names it reads.

The parsed function keeps everything later stages need from the live function: its globals
(used as they are, never copied), its closure cells (read when the gradient runs, not now), and
a :class:`~chainrule.origin.SourceMap` back to the user's file.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass
from typing import Any

import gast

from .errors import TransformError
from .origin import Origin, SourceMap
from .syntax import from_ast, parse, walk


@dataclass
class ParsedFunction:
    function: types.FunctionType
    node: gast.FunctionDef
    source_map: SourceMap
    cells: dict[str, types.CellType]     # the user's closure cells, by free-variable name

    @property
    def name(self) -> str:
        return self.function.__name__

    @property
    def globals(self) -> dict[str, Any]:
        return self.function.__globals__

    def origin(self, node) -> Origin | None:
        return self.source_map.origin(node)

    def for_function(self, function: types.FunctionType) -> "ParsedFunction":
        """The same parse, resolving names through ``function``'s globals and closure (a
        function with the same code, e.g. another closure of the same ``def``)."""
        if function is self.function:
            return self
        cells = dict(zip(function.__code__.co_freevars, function.__closure__ or ()))
        return ParsedFunction(function, self.node, self.source_map, cells)


def source_block(code: types.CodeType) -> tuple[list[str], int]:
    """The source lines of the function (or lambda line) that ``code`` was compiled from, and
    the number of the first one; OSError if the source is not available."""
    lines, first, _ = parsed_block(code)
    return lines, first


def parsed_block(code: types.CodeType) -> tuple[list[str], int, ast.Module | None]:
    """:func:`source_block`, and the block's dedented text parsed (``ast``; None where
    ``inspect`` had to decide the block).

    The block is cut where the indentation returns to the definition's level; the cut is
    checked by parsing it (the parse is kept, so nothing parses it twice), and ``inspect``
    (which tokenizes, and on first use maps every loaded module to its file) decides the rare
    cases the check refuses (a string or bracket continued at the definition's indentation).
    """
    linecache.checkcache(code.co_filename)
    all_lines = linecache.getlines(code.co_filename)
    first = code.co_firstlineno
    if not all_lines or first > len(all_lines):
        lines, first = inspect.getsourcelines(code)
        return lines, first, None
    lines = _indented_block(all_lines, first - 1)
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        return inspect.getblock(all_lines[first - 1:]), first, None
    return lines, first, tree


def _indented_block(all_lines: list[str], start: int) -> list[str]:
    """The decorators and definition at ``all_lines[start]`` and every following line that is
    blank, a comment, or indented deeper than the definition."""
    def indentation(line: str) -> int:
        return len(line) - len(line.lstrip())

    level = indentation(all_lines[start])
    end = start
    while end < len(all_lines) and all_lines[end].lstrip().startswith("@"):
        end += 1                                  # decorators, at the definition's level
    end += 1                                      # the def (or lambda) line
    while end < len(all_lines):
        stripped = all_lines[end].strip()
        if stripped and not stripped.startswith("#") and indentation(all_lines[end]) <= level:
            break
        end += 1
    while end > start + 1 and not all_lines[end - 1].strip():
        end -= 1                                  # trailing blank lines
    return all_lines[start:end]


def _source_lines(fn: types.FunctionType) -> tuple[list[str], int, str,
                                                  ast.Module | None]:
    code = fn.__code__
    filename = code.co_filename
    try:
        # The code object, not the function: inspect follows __wrapped__ on functions.
        lines, first, tree = parsed_block(code)
    except (OSError, TypeError, IndexError):
        raise TransformError(
            f"cannot differentiate {fn.__qualname__}: its source code is not available "
            f"(it was defined in an interactive session, by exec(), or in a compiled module)",
            construct="function without source",
            hint="define the function in a .py file (or a notebook cell) so chainrule can "
                 "read it, or register a rule for it with @chainrule.adjoint") from None
    return [line.rstrip("\n") for line in lines], max(first, 1), filename, tree


def parse_function(fn: Any) -> ParsedFunction:
    """Parse ``fn`` into a gast ``FunctionDef`` with its decorators removed."""
    if isinstance(fn, types.MethodType):
        raise TypeError("bound methods are differentiated through their function: "
                        "use grad(type(obj).method) and pass the instance explicitly")
    if not isinstance(fn, types.FunctionType):
        raise TypeError(f"chainrule can only differentiate Python functions, got "
                        f"{type(fn).__name__} {fn!r}; register a rule for it with "
                        f"@chainrule.adjoint")
    lines, first, filename, tree = _source_lines(fn)
    source_map = SourceMap(filename, first, lines, fn.__qualname__)
    try:
        module = parse(textwrap.dedent("\n".join(lines))) if tree is None else from_ast(tree)
    except SyntaxError as error:
        raise TransformError(
            f"cannot differentiate {fn.__qualname__}: its source could not be isolated "
            f"({error.msg})", construct="unparsable source",
            hint="lambdas whose line holds other code cannot be isolated: write a def instead",
            origin=source_map.origin(error) if error.lineno else None) from None
    node = _find_definition(module, fn, source_map)
    cells = {}
    if fn.__closure__:
        cells = dict(zip(fn.__code__.co_freevars, fn.__closure__))
    return ParsedFunction(fn, node, source_map, cells)


def _find_definition(module: gast.Module, fn: types.FunctionType,
                     source_map: SourceMap) -> gast.FunctionDef:
    if fn.__name__ == "<lambda>":
        lambdas = [node for node in walk(module) if isinstance(node, gast.Lambda)]
        arg_names = fn.__code__.co_varnames[:fn.__code__.co_argcount]
        matching = [lam for lam in lambdas
                    if tuple(a.id for a in lam.args.args) == tuple(arg_names)]
        if len(matching) != 1:
            raise TransformError(
                f"cannot isolate the source of this lambda ({len(lambdas)} lambdas on its "
                f"lines)", construct="lambda",
                hint="give the function a name with def",
                origin=source_map.origin(lambdas[0]) if lambdas else None)
        lam = matching[0]
        body = gast.Return(value=lam.body)
        gast.copy_location(body, lam.body)
        node = gast.FunctionDef(name="lambda_", args=lam.args, body=[body], decorator_list=[],
                                returns=None, type_comment=None, type_params=[])
        return gast.copy_location(node, lam)
    statement = module.body[0] if module.body else None
    if isinstance(statement, gast.AsyncFunctionDef):
        raise TransformError(f"cannot differentiate async function {fn.__qualname__}",
                             construct="async def", hint="use a plain def",
                             origin=source_map.origin(statement))
    if not isinstance(statement, gast.FunctionDef):
        raise TransformError(f"cannot find the definition of {fn.__qualname__} in its source",
                             construct="source", origin=source_map.origin(statement))
    statement.decorator_list = []   # or @grad would transform itself again
    return statement


_MISSING = object()


def resolve_global(parsed: ParsedFunction, name: str) -> Any:
    """The current value of a non-local name: closure cell, then globals, then builtins."""
    if name in parsed.cells:
        try:
            return parsed.cells[name].cell_contents
        except ValueError:
            return _MISSING
    if name in parsed.globals:
        return parsed.globals[name]
    builtin_namespace = parsed.globals.get("__builtins__", builtins)
    if isinstance(builtin_namespace, dict):
        return builtin_namespace.get(name, _MISSING)
    return getattr(builtin_namespace, name, _MISSING)


def resolve_dotted(parsed: ParsedFunction, node, local_names: set[str]) -> Any:
    """Value of ``name`` or ``name.attr.attr`` rooted at a non-local name, or ``MISSING``."""
    attributes = []
    while isinstance(node, gast.Attribute):
        attributes.append(node.attr)
        node = node.value
    if not isinstance(node, gast.Name) or node.id in local_names:
        return _MISSING
    value = resolve_global(parsed, node.id)
    for attribute in reversed(attributes):
        if value is _MISSING:
            break
        value = getattr(value, attribute, _MISSING)
    return value


MISSING = _MISSING
