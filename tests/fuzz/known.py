"""Chainrule bugs the fuzzer found that are not fixed yet.

Each entry recognises the failures one bug causes (from the program and its outcome) and names
its minimal reproduction in ``tests/test_fuzz_regressions.py`` (marked
``xfail(strict=True)``).  ``check_program`` reports a matching failure as ``known`` rather than
``failed``, so the random-program test stays green and a campaign looks past the bug for new
ones.  When a fix makes the regression test pass (XPASS fails the strict xfail), remove its
``xfail`` marker and its entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class KnownBug:
    name: str
    regression_test: str
    matches: Callable          # (program, outcome) -> bool


KNOWN_BUGS: tuple[KnownBug, ...] = ()     # none open


def known_bug(program, outcome) -> KnownBug | None:
    """The known bug that explains this failure, if any."""
    for bug in KNOWN_BUGS:
        if bug.matches(program, outcome):
            return bug
    return None
