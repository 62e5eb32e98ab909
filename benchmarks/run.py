"""chainrule benchmarks (run with `make bench`; `--json FILE` also writes the numbers).

Reported, never asserted: tests do not time anything.

* transform: time to produce the gradient of a 20-line function the first time
  (parse, normalize, differentiate, compile), median over repetitions;
* overhead: what a cached call of ``grad(f)`` adds over calling the generated function
  directly (argument checks, specialization lookup, dtype/shape finishing).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chainrule  # noqa: E402
from workloads import polynomial, twenty_lines  # noqa: E402


def median_seconds(call, repeat: int, number: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            call()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def bench_transform(repeat: int) -> dict:
    args = (0.3, 0.7, np.linspace(-1.0, 1.0, 5))
    times = []
    for _ in range(repeat):
        chainrule.clear_cache()
        start = time.perf_counter()
        gradient = chainrule.grad(twenty_lines, wrt=(0, 1, 2))
        gradient(*args)
        first = time.perf_counter() - start
        start = time.perf_counter()
        gradient(*args)
        cached = time.perf_counter() - start
        times.append(first - cached)
    return {"transform_ms": statistics.median(times) * 1e3}


def bench_overhead(repeat: int, number: int) -> dict:
    gradient = chainrule.grad(polynomial)
    gradient(3.0)
    generated = gradient._specialized[("scalar",)]
    wrapped = median_seconds(lambda: gradient(3.0), repeat, number)
    direct = median_seconds(lambda: generated(3.0), repeat, number)
    return {"cached_call_us": wrapped * 1e6, "generated_call_us": direct * 1e6,
            "overhead_us": (wrapped - direct) * 1e6}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--quick", action="store_true", help="one short round (smoke test)")
    options = parser.parse_args(argv)
    repeat, number = (1, 10) if options.quick else (15, 20000)
    results = {"machine": platform.machine(), "python": platform.python_version(),
               "numpy": np.__version__, "chainrule": chainrule.__version__}
    results.update(bench_transform(3 if options.quick else 30))
    results.update(bench_overhead(repeat, number))
    print(f"chainrule {results['chainrule']} on Python {results['python']}, "
          f"NumPy {results['numpy']} ({results['machine']})")
    print(f"  first transform of a 20-line function: {results['transform_ms']:8.2f} ms"
          f"   (target < 20 ms)")
    print(f"  cached call of grad(f):                {results['cached_call_us']:8.2f} us")
    print(f"  generated function called directly:   {results['generated_call_us']:8.2f} us")
    print(f"  overhead of the cached call:           {results['overhead_us']:8.2f} us"
          f"   (target < 5 us)")
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
