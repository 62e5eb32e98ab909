"""The exact generated source of a few canonical functions: the readability promise.

Regenerate deliberately with ``CHAINRULE_UPDATE_GOLDEN=1`` and review the diff.
"""

import os
import pathlib

import pytest

from chainrule import grad

from .golden.functions import CASES

GOLDEN = pathlib.Path(__file__).parent / "golden"


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_source_is_pinned(name):
    function, wrt, args = CASES[name]
    gradient = grad(function, wrt=wrt)
    gradient(*args)
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("CHAINRULE_UPDATE_GOLDEN"):
        path.write_text(gradient.source)
    assert gradient.source == path.read_text(), (
        f"generated source of {name} changed; if intended, regenerate with "
        f"CHAINRULE_UPDATE_GOLDEN=1 and review the diff")
