"""Noticing that generated code went stale.

Generated code calls the forward/backward pairs of the user functions it found by name when
it was made, and treats module constants that held Python numbers as scalars. If such a name
is later bound to another function (a helper redefined in a notebook, say) or to an array,
the code must be made again: each generated function keeps ``(namespace, name, expected)``
triples, checked before it is reused.
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


class PythonNumber:
    """Expected in a dependency: the name holds a Python ``float`` or ``int`` (a module
    constant such as ``DT = 0.01``: the code was specialized for a scalar there)."""


def for_function(dependencies: list[tuple], function) -> list[tuple]:
    """``dependencies`` with the closure cells they read taken from ``function``: closures
    made by one ``def`` share a transform (made for one of them), but each holds its own
    values, and each must be checked against its own."""
    cells = dict(zip(function.__code__.co_freevars, function.__closure__ or ()))
    if not cells:
        return dependencies
    return [(CellNamespace(cells[key]), key, expected)
            if isinstance(namespace, CellNamespace) and key in cells
            else (namespace, key, expected)
            for namespace, key, expected in dependencies]


def still_valid(dependencies: list[tuple]) -> bool:
    """Whether every name the generated code resolved still means the same function (or
    still holds a Python number)."""
    for namespace, key, expected in dependencies:
        value = namespace.get(key)
        if expected is PythonNumber:
            if type(value) is not float and type(value) is not int:
                return False
        elif value is not expected:
            return False
    return True
