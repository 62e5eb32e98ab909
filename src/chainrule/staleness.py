"""Noticing that generated code went stale.

Generated code calls the forward/backward pairs of the user functions it found by name when
it was made. If such a name is later bound to another function (a helper redefined in a
notebook, say), the code must be made again: each generated function keeps
``(namespace, name, function)`` triples, checked before it is reused.
"""

from __future__ import annotations


class CellNamespace:
    """A closure cell seen as a one-entry namespace (``get`` like a dict)."""
    __slots__ = ("cell",)

    def __init__(self, cell):
        self.cell = cell

    def get(self, key, default=None):
        try:
            return self.cell.cell_contents
        except ValueError:
            return default


def still_valid(dependencies: list[tuple]) -> bool:
    """Whether every name the generated code resolved still means the same function."""
    for namespace, key, function in dependencies:
        if namespace.get(key) is not function:
            return False
    return True
