"""Every example script runs and ends successfully; the README shows generated code as it is."""

import pathlib
import runpy

import numpy as np
import pytest

import chainrule

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(path, capsys):
    runpy.run_path(str(path), run_name="__main__")
    assert "FAIL" not in capsys.readouterr().out


# -- the README's generated code is what chainrule generates ----------------------------------

README = pathlib.Path(__file__).parent.parent / "README.md"


def loss(W, x, y):
    prediction = np.tanh(W @ x)
    return np.mean((prediction - y) ** 2)


def _code_lines(text: str) -> list[str]:
    return [line for line in text.strip().splitlines() if not line.strip().startswith("#")]


def test_readme_shows_the_tanh_layer_gradient_as_generated():
    text = README.read_text()
    shown = text[text.index("def loss_grad(W, x, y):"):]
    shown = shown[:shown.index("```")]
    generated = chainrule.grad(loss, wrt="W").source_for(np.ones((3, 2)), np.ones(2),
                                                        np.ones(3))
    assert _code_lines(shown) == _code_lines(generated), generated
