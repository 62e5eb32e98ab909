"""Errors chainrule raises.

`TransformError` is raised while a function is being transformed (before any of its code runs)
and points at the user's source: file, line, column, the line itself, a caret, the construct
that was refused and what to do instead. Bad arguments to a gradient function raise the plain
built-in `TypeError` / `ValueError` with a message that says what was expected.
"""

from __future__ import annotations

from .origin import Origin


class ChainruleError(Exception):
    """Base class of the errors chainrule raises itself."""


class TransformError(ChainruleError):
    """A function (or part of it) cannot be differentiated.

    Attributes: ``construct`` (what was refused), ``hint`` (what to do instead) and ``origin``
    (an :class:`~chainrule.origin.Origin` with ``filename``, ``lineno``, ``col`` and ``line``),
    any of which may be ``None`` when unknown.
    """

    def __init__(self, message: str, *, construct: str | None = None, hint: str | None = None,
                 origin: Origin | None = None):
        self.reason = message
        self.construct = construct
        self.hint = hint
        self.origin = origin
        super().__init__(self._render())

    @property
    def filename(self) -> str | None:
        return self.origin.filename if self.origin else None

    @property
    def lineno(self) -> int | None:
        return self.origin.lineno if self.origin else None

    @property
    def col(self) -> int | None:
        return self.origin.col if self.origin else None

    def _render(self) -> str:
        parts = [self.reason]
        if self.origin is not None:
            parts.append(self.origin.describe())
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)
