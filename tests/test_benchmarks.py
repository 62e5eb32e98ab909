"""Smoke test of the benchmark suite (benchmarks/run.py --quick), so that it never rots.

One call per measurement on tiny inputs; nothing here asserts on time. Peers (the optional
``bench`` extra) are not required: a missing one is reported as missing.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import peers  # noqa: E402
import run  # noqa: E402
import workloads  # noqa: E402


def test_quick_run_writes_every_section(tmp_path, capsys):
    out = tmp_path / "results.json"
    # autograd is light to import; where it is not installed it shows up as missing. The
    # allocator is left alone: pinning it would change this test process's malloc.
    assert run.main(["--quick", "--peers", "autograd", "--allocator", "default",
                     "--json", str(out)]) == 0
    results = json.loads(out.read_text())
    names = [w.name for w in workloads.WORKLOADS]
    assert list(results["workloads"]) == names
    for name in names:
        rows = results["workloads"][name]["rows"]
        for label in ("primal (NumPy/Python)", "chainrule", "hand-written"):
            assert rows[label]["median_s"] > 0
        assert rows["hand-written"]["check"] == "ok"
        for label in ("chainrule", "hand-written"):
            faults = rows[label]["faults_per_call"]
            assert faults is None or faults >= 0
        assert "autograd" in rows
        assert rows["autograd"].get("check", "ok") == "ok"
        assert set(results["transform"][name]) == {"transform_ms", "transform_first_ms",
                                                   "overhead_us"}
    assert set(results["memory"]) == {"scalar_loop", "rnn"}
    assert results["targets"] and "overhead_us" in results
    assert results["allocator"] == "the platform's default"
    printed = capsys.readouterr().out
    assert "== scalar_loop" in printed and "== targets" in printed
    assert "MISMATCH" not in printed


@pytest.mark.parametrize("workload", workloads.WORKLOADS, ids=lambda w: w.name)
def test_hand_written_gradients_agree_with_chainrule(workload):
    import chainrule
    args = workload.sizes["quick"]()
    want = run._as_tuple(chainrule.grad(workload.primal, wrt=workload.wrt)(*args))
    for hand in [workload.hand, *workload.extra_hand.values()]:
        ok, error = run.compare(want, run._as_tuple(hand(*args)))
        assert ok, (workload.name, error)


def test_a_wrong_gradient_is_flagged():
    ok, error = run.compare((np.array([1.0, 2.0]),), (np.array([1.0, 2.1]),))
    assert not ok and error == pytest.approx(0.05)
    assert run.compare((1.0,), (1.0 + 1e-12,))[0]


def test_a_missing_peer_is_reported_not_fatal(monkeypatch):
    class Broken(peers.Peer):
        name = "broken"

        def load(self):
            raise ImportError("No module named 'broken'")

    monkeypatch.setattr(peers, "PEER_CLASSES", [Broken])
    [peer] = peers.load_peers(None)
    assert peer.missing == "ImportError: No module named 'broken'"
    result = run.bench_workload(workloads.WORKLOADS[0], "quick", [peer], quick=True)
    assert "missing" in result["rows"]["broken"]
    assert result["rows"]["chainrule"]["median_s"] > 0


def test_pinning_the_allocator_in_a_fresh_process():
    import subprocess
    import sys
    code = ("import sys; sys.argv = ['run.py']; sys.path.insert(0, 'benchmarks'); "
            "import run; print(run.pin_allocator())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=run.Path(run.__file__).parent.parent, check=True)
    said = done.stdout.strip().splitlines()[-1]
    assert said.startswith("glibc, heap trimming off") or said.startswith("the platform's")
