"""docs/numpy.md is the catalogue rendered from the rule tables, and must stay in sync."""

import re
from pathlib import Path

import numpy as np
import pytest

from chainrule.rules.catalog import render_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "numpy.md"


def test_docs_numpy_md_is_up_to_date():
    assert DOC.exists(), ("docs/numpy.md is missing: run "
                          "`python -m chainrule.rules.catalog > docs/numpy.md`")
    written = DOC.read_text()
    generated_with = re.search(r"with NumPy (\d+\.\d+)", written)
    running = ".".join(np.__version__.split(".")[:2])
    if generated_with and generated_with.group(1) != running:
        pytest.skip(f"docs/numpy.md was generated with NumPy {generated_with.group(1)}, "
                    f"this is NumPy {running} (the catalogue differs between versions)")
    assert written == render_markdown(), (
        "docs/numpy.md is out of date with the gradient rules: regenerate it with "
        "`python -m chainrule.rules.catalog > docs/numpy.md`")


def test_catalog_lists_functions_methods_and_constants():
    text = render_markdown()
    for expected in ("`np.sin`", "`np.linalg.norm`", "`np.einsum`", "`.sum()`", "`.T`",
                     "`np.argmax`", "## Non-differentiable functions"):
        assert expected in text
