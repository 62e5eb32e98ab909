"""Random-program testing (GitHub issue 6): random valid programs from the supported subset,
each checked end to end (transform, generated source re-parses and compiles, value, gradient
against finite differences away from kinks, inputs untouched). See tests/fuzz/ for the
generator and the rules; ``make fuzz`` runs a long campaign.
"""

import inspect
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings

import chainrule
from tests.fuzz import runner
from tests.fuzz.campaign import run
from tests.fuzz.programs import CONSTRUCTS, Program, programs

FAST = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])


def test_random_programs():
    used = Counter()
    statuses = Counter()

    @FAST
    @given(programs())
    def check(program):
        outcome = runner.assert_program_ok(program)
        used.update(program.constructs.keys())
        statuses[outcome.status] += 1

    check()
    # The generator exercises (nearly) every construct it knows even in a short run (the slow
    # campaign below checks all of them), and few inputs are skipped near kinks.
    missing = set(CONSTRUCTS) - set(used)
    assert len(missing) <= len(CONSTRUCTS) // 10, f"constructs never generated: {missing}"
    assert statuses["passed"] + statuses["known"] >= 0.8 * sum(statuses.values()), statuses


@pytest.mark.slow
def test_random_program_campaign():
    result = run(2000, seed=0)
    assert result["failures"] == []
    assert set(CONSTRUCTS) <= set(result["constructs"])


def program(source, *args, wrt=("x0",)):
    return Program(source, args, wrt)


SMOOTH_AND_BRANCHY = """
import math

import numpy as np


def helper(p):
    return math.sin(p) * p


def f(x0, a0):
    y = np.zeros(3)
    for i in range(3):
        if a0[i] > x0:
            y[i] = helper(a0[i] * x0)
        else:
            y[i] += x0
    return np.sum(y)
"""


def test_programs_get_retrievable_source():
    module = runner.load(SMOOTH_AND_BRANCHY)
    try:
        assert "def helper(p):" in inspect.getsource(module.helper)
        assert inspect.getsource(module.f).startswith("def f(x0, a0):")
        expected = 2.0 + chainrule.grad(module.helper)(0.45) * 0.9
        assert chainrule.grad(module.f)(0.5, np.array([0.1, 0.9, 0.3])) == pytest.approx(expected)
    finally:
        runner.forget(module)


def test_a_smooth_input_is_checked():
    outcome = runner.check_program(program(SMOOTH_AND_BRANCHY, 0.5, np.array([0.1, 0.9, 0.3]),
                                           wrt=("x0", "a0")))
    assert outcome.status == "passed", outcome


def test_an_input_near_a_branch_boundary_is_skipped():
    # a0[1] - x0 = 5e-6: moving x0 by 1e-5 switches the branch.
    outcome = runner.check_program(program(SMOOTH_AND_BRANCHY, 0.5, np.array([0.1, 0.500005, 0.3]),
                                           wrt=("x0",)))
    assert outcome.status == "kink"


def test_an_input_at_a_kink_of_abs_is_skipped():
    source = "import math\n\n\ndef f(x0):\n    return abs(x0 - 0.25) + x0\n"
    assert runner.check_program(program(source, 0.25)).status == "kink"
    assert runner.check_program(program(source, 0.75)).status == "passed"


def test_a_value_too_large_for_finite_differences_is_skipped():
    # At 2e12 a float's rounding (2.4e-4) swamps a step of 1e-6: the differences read 0.
    source = "def f(x0):\n    return 2e12 * (1.0 + x0 * 1e-30) + x0\n"
    assert runner.check_program(program(source, 0.5)).status == "unstable"
    assert runner.check_program(program("def f(x0):\n    return 2e3 + x0\n", 0.5)).status \
        == "passed"


def test_a_wrong_gradient_is_reported(monkeypatch):
    def wrong(*args, **kwargs):
        raise chainrule.GradientCheckError("x0: chainrule 1.0, finite differences 2.0")

    monkeypatch.setattr(chainrule, "check_grad", wrong)
    source = "def f(x0):\n    return x0 * x0\n"
    outcome = runner.check_program(program(source, 1.0))
    assert (outcome.status, outcome.category) == ("failed", "gradient")
    with pytest.raises(runner.FuzzFailure, match="def f"):
        runner.assert_program_ok(program(source, 1.0))


def test_a_broken_program_is_a_generator_bug():
    outcome = runner.check_program(program("def f(x0):\n    return [][0]\n", 1.0))
    assert (outcome.status, outcome.category) == ("invalid", "raises")


def test_a_gradient_that_never_returns_is_reported(monkeypatch):
    def forever(*args, **kwargs):
        while True:
            pass

    monkeypatch.setattr(chainrule, "check_grad", forever)
    monkeypatch.setattr(runner, "TIME_LIMIT", 0.3)
    outcome = runner.check_program(program("def f(x0):\n    return x0 * x0\n", 1.0))
    assert (outcome.status, outcome.category) == ("failed", "hang")
