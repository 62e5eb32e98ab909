"""Reduce a failing program further than hypothesis's shrinker, at the source level.

Hypothesis shrinks the choices a program was drawn from; a deleted choice often changes how
the rest is read, so its minimal program keeps dead helpers and statements.  ``reduce_program``
then deletes whole functions and statements, replaces compound statements by their bodies and
expressions by a parameter, keeping each change that leaves a failure with the same signature.
"""

from __future__ import annotations

import ast
import copy
import time
from dataclasses import replace
from typing import Callable

from .programs import Program


def _bodies(tree: ast.AST):
    """Every statement list in the tree (function bodies, branches, loop bodies, else)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Module):
            continue
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


def _candidates(tree: ast.Module):
    """Smaller variants of ``tree`` (fresh copies), biggest cuts first."""
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.FunctionDef) and node.name != "f":
            variant = copy.deepcopy(tree)
            del variant.body[i]
            yield variant
    count = sum(len(block) for block in _bodies(tree))
    for position in range(count):
        # delete the statement, or put its own body (if/for/while) in its place
        for mode in ("delete", "inline", "inline_else"):
            variant = copy.deepcopy(tree)
            blocks = list(_bodies(variant))
            seen = 0
            for block in blocks:
                if position < seen + len(block):
                    index = position - seen
                    statement = block[index]
                    if mode == "delete":
                        replacement = []
                    elif isinstance(statement, (ast.If, ast.For, ast.While)):
                        replacement = statement.body if mode == "inline" else statement.orelse
                        if not replacement:
                            break
                    else:
                        break
                    block[index:index + 1] = replacement
                    if not block:
                        block.append(ast.Pass())
                    yield variant
                    break
                seen += len(block)


def reduce_program(program: Program, still_fails: Callable[[Program], bool],
                   limit: int = 400, seconds: float = 120.0) -> Program:
    """The smallest variant of ``program`` found on which ``still_fails`` holds (trying at
    most ``limit`` variants for at most about ``seconds``)."""
    tree = ast.parse(program.source)
    best = program
    tries = 0
    deadline = time.monotonic() + seconds
    progress = True
    while progress and tries < limit:
        progress = False
        for variant in _candidates(tree):
            tries += 1
            if tries > limit or time.monotonic() > deadline:
                tries = limit
                break
            try:
                source = "import math\n\nimport numpy as np\n\n\n" + "\n\n\n".join(
                    ast.unparse(node) for node in variant.body
                    if not isinstance(node, (ast.Import, ast.ImportFrom))) + "\n"
            except Exception:           # noqa: BLE001 - an unparsable variant is skipped
                continue
            candidate = replace(program, source=source)
            if len(source) < len(best.source) and still_fails(candidate):
                best, tree, progress = candidate, variant, True
                break
    return best
