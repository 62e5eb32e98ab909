"""Dump every generated source the project's own functions produce, to compare before/after.

A restructure of the package must not change one byte of generated code. This script
differentiates every golden case, every corpus case (``grad`` and ``value_and_grad``), every
benchmark workload (quick sizes) and runs every example, then writes each distinct generated
source found in the transform cache, sorted, separated by a banner line.

    python tools/generated_sources.py > before.txt
    ... restructure ...
    python tools/generated_sources.py > after.txt && diff before.txt after.txt
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import runpy
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import chainrule  # noqa: E402
from chainrule import cache  # noqa: E402


def _differentiate_golden() -> None:
    from tests.golden.functions import CASES
    for function, wrt, args in CASES.values():
        chainrule.grad(function, wrt=wrt)(*args)


def _differentiate_corpus() -> None:
    from tests.corpus import all_cases
    for _, function, args, wrt in all_cases():
        chainrule.grad(function, wrt=wrt)(*args)
        chainrule.value_and_grad(function, wrt=wrt)(*args)


def _differentiate_workloads() -> None:
    from workloads import WORKLOADS, polynomial, twenty_lines
    import numpy as np
    for workload in WORKLOADS:
        for size in ("quick", "full"):
            args = workload.sizes[size]()
            chainrule.grad(workload.primal, wrt=workload.wrt)(*args)
    chainrule.grad(twenty_lines, wrt=(0, 1, 2))(0.3, 0.7, np.linspace(0.1, 1.0, 5))
    chainrule.grad(polynomial)(3.0)


def _run_examples() -> None:
    for path in sorted((ROOT / "examples").glob("*.py")):
        with contextlib.redirect_stdout(io.StringIO()):
            runpy.run_path(str(path), run_name="__main__")


def generated_sources() -> list[str]:
    cache.MAX_ENTRIES = 1_000_000          # keep everything this run makes
    for step in (_differentiate_golden, _differentiate_corpus, _differentiate_workloads,
                 _run_examples):
        step()
    sources = set()
    for value in list(cache._entries.values()):
        generated = getattr(value, "generated", None)
        if generated is not None:
            sources.add("\n".join([generated.source] + list(generated.called)))
    return sorted(sources)


def main() -> None:
    sources = generated_sources()
    for text in sources:
        print("=" * 30 + " generated " + "=" * 30)
        print(text)
    print(f"{len(sources)} generated sources", file=sys.stderr)


if __name__ == "__main__":
    main()
