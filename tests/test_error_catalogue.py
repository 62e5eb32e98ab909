"""docs/errors.md is true: each example raises exactly the message shown.

Each ``python`` block is written to ``example.py`` and run; the error it raises (type and
message, with the file's path shortened to ``example.py``) must equal the ``text`` block after
it. A TransformError must also name its construct, the file and the line.
"""

import pathlib
import re
import runpy

import pytest

import chainrule

CATALOGUE = pathlib.Path(__file__).parent.parent / "docs" / "errors.md"
SECTION = re.compile(r"^## (?P<title>.+?)\n\n```python\n(?P<code>.*?)```\n\n```text\n"
                     r"(?P<message>.*?)```", re.S | re.M)


def examples():
    found = [m.groupdict() for m in SECTION.finditer(CATALOGUE.read_text())]
    assert len(found) >= 20, "the catalogue lost its examples"
    return [pytest.param(e["code"], e["message"].rstrip("\n"), id=e["title"]) for e in found]


@pytest.mark.parametrize("code, expected", examples())
def test_example_raises_the_documented_error(code, expected, tmp_path):
    path = tmp_path / "example.py"
    path.write_text(code)
    with pytest.raises(Exception) as caught:
        runpy.run_path(str(path), run_name="__main__")
    error = caught.value
    message = f"{type(error).__name__}: {error}".replace(str(path), "example.py")
    assert message == expected
    if isinstance(error, chainrule.TransformError) and error.origin is not None:
        assert error.filename == str(path)
        assert f'File "example.py", line {error.lineno}' in message
        assert error.construct


def test_every_error_kind_is_catalogued():
    text = CATALOGUE.read_text()
    for kind in ("TransformError", "ValueError", "TypeError"):
        assert f"{kind}:" in text
