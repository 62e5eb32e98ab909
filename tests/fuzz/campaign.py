"""A long random-program campaign: ``python -m tests.fuzz --count N`` (``make fuzz``).

Runs hypothesis over ``programs()`` in rounds.  A round generates programs until one fails in a
new way, shrinks that failure to a minimal program, prints it, and remembers its signature
(failure category plus the set of constructs in the minimal program); the next round, with the
next seed, counts later failures with a remembered category whose program uses all of a
remembered program's constructs as the same bug and goes on looking for others.  Failures
explained by ``known.py`` are counted, not shrunk.  At the end it prints the number of programs
checked, how many were skipped near kinks, how often each construct was generated, and every
failure with its minimal program.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

import chainrule

from .programs import CONSTRUCTS, programs
from .reduce import reduce_program
from .runner import FuzzFailure, Outcome, check_program


def _signature(outcome: Outcome) -> str:
    """What tells two failures apart: the category, and for an exception its type and its
    first line with names and numbers masked."""
    if outcome.category not in ("crash", "refused", "harness", "raises"):
        return f"{outcome.status}:{outcome.category}"
    first = outcome.message.splitlines()[0] if outcome.message else ""
    first = re.sub(r"cannot differentiate [\w.<>]+:", "cannot differentiate F:", first)
    first = re.sub(r"'[^']*'", "'_'", first)
    first = re.sub(r"\b\d+(\.\d+)?\b", "0", first)
    return f"{outcome.status}:{outcome.category}:{first}"


def _same_failure(program, signature: str) -> bool:
    outcome = check_program(program)
    return outcome.failed and _signature(outcome) == signature


def run(count: int, seed: int, max_failures: int = 20, out=sys.stdout) -> dict:
    stats: Counter = Counter()
    constructs: Counter = Counter()
    known: Counter = Counter()
    failures: list = []                 # (program, outcome), minimal
    found: list = []                    # (signature, constructs, told apart by message)
    checked = 0
    round_seed = seed
    started = time.time()

    def explained(outcome, program) -> bool:
        # Exceptions are told apart by their (masked) message; wrong values and gradients by
        # the constructs of the minimal program: a program using all of them is presumed to
        # hit the same bug.
        signature = _signature(outcome)
        used = set(program.constructs)
        return any(sig == signature and (by_message or shape <= used)
                   for sig, shape, by_message in found)

    while checked < count and len(failures) < max_failures:
        state = {"generated": 0, "failing": None, "signature": None}

        @settings(max_examples=count - checked, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
                  phases=[Phase.generate, Phase.shrink], print_blob=False)
        @hypothesis_seed(round_seed)
        @given(programs())
        def explore(program):
            outcome = check_program(program)
            shrinking = state["signature"] is not None
            if not shrinking:
                state["generated"] += 1
                stats[outcome.status] += 1
                constructs.update(program.constructs.keys())
                if outcome.status == "known":
                    known[outcome.bug] += 1
                if state["generated"] % 250 == 0:
                    chainrule.clear_cache()     # bound the memory of a long campaign
                    print(f"  ... {checked + state['generated']} programs, "
                          f"{time.time() - started:.0f}s", file=out, flush=True)
            bad = outcome.status == "invalid" or (outcome.failed
                                                  and not explained(outcome, program))
            if not bad:
                return
            signature = _signature(outcome)
            if shrinking and signature != state["signature"]:
                return                  # keep shrinking the failure this round started with
            state["signature"] = signature
            state["failing"] = (program, outcome)
            raise FuzzFailure(signature)

        try:
            explore()
        except Exception:               # noqa: BLE001 - the failure is in state["failing"]
            if state["failing"] is None:
                raise
        checked += state["generated"]
        round_seed += 1
        if state["failing"] is not None:
            program, outcome = state["failing"]
            signature = _signature(outcome)
            found.append((signature, frozenset(program.constructs), signature.count(":") > 1))
            if outcome.failed:
                program = reduce_program(program, lambda p: _same_failure(p, signature))
            failures.append((program, outcome))
            _print_failure(len(failures), program, outcome, out)
        elif state["generated"] == 0:
            break

    _print_summary(checked, stats, constructs, known, failures, time.time() - started, out)
    return {"checked": checked, "stats": stats, "constructs": constructs, "known": known,
            "failures": failures}


def _print_failure(number, program, outcome, out) -> None:
    print(f"\n=== failure {number}: {outcome.status} ({outcome.category})", file=out)
    print("\n".join(outcome.message.splitlines()[:12]), file=out)
    print("--- minimal program:", file=out)
    print(program.source.rstrip(), file=out)
    print(f"# {program.call_text()}", file=out, flush=True)


def _print_summary(checked, stats, constructs, known, failures, seconds, out) -> None:
    print(f"\n{checked} programs checked in {seconds:.0f}s: "
          + ", ".join(f"{n} {status}" for status, n in sorted(stats.items())), file=out)
    print("constructs (programs using each):", file=out)
    names = sorted(set(CONSTRUCTS) | set(constructs), key=lambda c: (-constructs[c], c))
    for i in range(0, len(names), 4):
        print("  " + "".join(f"{name:>22} {constructs[name]:>6}" for name in names[i:i + 4]),
              file=out)
    if known:
        print("known bugs (tests/fuzz/known.py) hit:", file=out)
        for name, n in known.most_common():
            print(f"  {n:>6}  {name}", file=out)
    print(f"{len(failures)} new failure(s)" + (":" if failures else ""), file=out)
    for number, (program, outcome) in enumerate(failures, 1):
        first = outcome.message.splitlines()[0] if outcome.message else ""
        print(f"  {number}. {outcome.status} ({outcome.category}): {first[:100]}", file=out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000,
                        help="programs to generate and check (default 10000)")
    parser.add_argument("--seed", type=int, default=None,
                        help="first hypothesis seed (default: random, printed)")
    parser.add_argument("--max-failures", type=int, default=20,
                        help="stop after this many distinct failures (default 20)")
    options = parser.parse_args(argv)
    seed = options.seed if options.seed is not None else random.randrange(10 ** 6)
    print(f"random-program campaign: {options.count} programs, seed {seed}", flush=True)
    result = run(options.count, seed, options.max_failures)
    return 1 if result["failures"] else 0
