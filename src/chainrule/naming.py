"""Fresh, readable names that never collide with the user's.

The namer starts from every identifier the user's function mentions, so generated names
(``t1``, ``x_1``, ``x_bar``, ``out``) can never shadow or be shadowed by the user's own.
"""

from __future__ import annotations

from .syntax import name_ids


class Namer:
    def __init__(self, taken: set[str]):
        self.taken = set(taken)
        self._adjoints: dict[str, str] = {}
        self._temporaries = 0

    @classmethod
    def for_function(cls, node) -> "Namer":
        return cls(name_ids(node) | {node.name})

    def reserve(self, name: str) -> None:
        self.taken.add(name)

    def fresh(self, base: str) -> str:
        """``base`` itself if free, else ``base_1``, ``base_2``, ..."""
        if base not in self.taken:
            self.taken.add(base)
            return base
        stem = base
        counter = 1
        while f"{stem}_{counter}" in self.taken:
            counter += 1
        name = f"{stem}_{counter}"
        self.taken.add(name)
        return name

    def temporary(self) -> str:
        """``t1``, ``t2``, ... for intermediate values of nested expressions."""
        while True:
            self._temporaries += 1
            name = f"t{self._temporaries}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def version(self, name: str) -> str:
        """A new name for a reassigned variable: ``x`` becomes ``x_1``, ``x_2``, ..."""
        return self.fresh(name)

    def adjoint(self, name: str) -> str:
        """The adjoint variable of ``name``: ``x_bar`` (fixed for the life of the namer)."""
        if name not in self._adjoints:
            self._adjoints[name] = self.fresh(f"{name}_bar")
        return self._adjoints[name]
