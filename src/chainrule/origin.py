"""Where a piece of generated code came from in the user's source.

Every statement the transformer produces remembers the user statement it was derived from, so
that errors can point at the user's file:line and the generated source can carry
``# line N: <statement>`` comments.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    filename: str
    lineno: int          # 1-based line in the user's file
    col: int             # 1-based column
    line: str            # the source line, without its newline
    function: str = ""   # name of the user function

    def describe(self) -> str:
        text = self.line.rstrip()
        stripped = text.lstrip()
        caret = " " * max(self.col - 1 - (len(text) - len(stripped)), 0) + "^"
        where = f'  File "{self.filename}", line {self.lineno}, column {self.col}'
        if self.function:
            where += f", in {self.function}"
        return f"{where}\n    {stripped}\n    {caret}"


class SourceMap:
    """Maps line numbers of a parsed (dedented) function back to the user's file."""

    def __init__(self, filename: str, first_line: int, lines: list[str], function: str):
        self.filename = filename
        self.first_line = first_line      # file line number of the snippet's first line
        self.lines = lines                # the snippet's lines as they appear in the file
        self.function = function

    def origin(self, node) -> Origin | None:
        lineno = getattr(node, "lineno", None)
        if lineno is None:
            return None
        col = getattr(node, "col_offset", 0) or 0
        index = lineno - 1
        text = self.lines[index] if 0 <= index < len(self.lines) else ""
        # The snippet was dedented before parsing: shift columns back by that indent so
        # they match the file.
        return Origin(self.filename, self.first_line + index, col + 1 + self._dedent, text,
                      self.function)

    @property
    def _dedent(self) -> int:
        first = self.lines[0] if self.lines else ""
        return len(first) - len(first.lstrip())

    def statement_text(self, node) -> str:
        """The user's statement (first line of it) for a ``# line N:`` comment."""
        lineno = getattr(node, "lineno", None)
        if lineno is None or not 0 < lineno <= len(self.lines):
            return ""
        return self.lines[lineno - 1].strip()
