"""chainrule benchmarks (run with `make bench`; `--json FILE` also writes the numbers).

Reported, never asserted: tests do not time anything (tests/test_benchmarks.py only runs
``--quick``).

* workloads: for each workload in ``workloads.WORKLOADS`` the median time of one gradient
  for chainrule (the cached ``grad(f)`` call users make, and the generated function called
  directly), the hand-written NumPy/Python gradient and every installed peer, all measured in
  this one process, with gradient/primal and chainrule/peer ratios. Every gradient is checked
  against chainrule's; a disagreement is flagged MISMATCH.
* memory: peak traced memory (``tracemalloc``) of one gradient call for scalar_loop at
  100,000 iterations and for rnn.
* transform: time to produce each workload's gradient the first time (parse, normalize,
  differentiate, compile, first call minus a cached call), median over repetitions; and a
  20-line function.
* overhead: what a cached call of ``grad(f)`` adds over calling the generated function
  directly (argument checks, specialization lookup, dtype/shape finishing).

Allocator: by default the run turns glibc's heap trimming off (``mallopt``: trim threshold
1 GiB, mmap threshold 32 MiB) before measuring; ``--allocator default`` keeps glibc's dynamic
thresholds. With them, a gradient whose arrays reach the trim threshold gives its memory back
to the system at the end of every call and takes page faults to get it again on the next:
for mlp that is ~500 faults and a third more time per call, and whether it happens depends
on how many temporaries are alive at once (two hand-written mlp gradients that differ by one
named temporary differ 1.4x). The tables show the minor page faults per call of chainrule
and the hand-written gradient, so the allocator's share is visible in either mode.

Timing: ``time.perf_counter``; each sample runs the call enough times to last at least
20 ms (3 single-call samples for calls over 0.3 s); samples of the implementations of a
workload are taken in turns (so drift hits them alike; each turn starts with the next
implementation, so none always runs first or after the slowest), with the garbage collector off
during a sample (as ``timeit`` does); the median sample is reported, and a ratio between two
implementations timed in turns is the median of the per-turn ratios (a shared machine that
changes speed between turns changes both sides of a pair alike). JAX and PyTorch are
timed in their own groups after the NumPy-based ones, since their worker threads spin after
each operation and would slow whatever runs next; with ``--threads 1`` there are no such
threads and all implementations are timed in turns together.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path


def _threads_from_command_line(argv) -> int | None:
    for i, arg in enumerate(argv):
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
        if arg == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
    return None


THREADS = _threads_from_command_line(sys.argv[1:]) if __name__ == "__main__" else None
if THREADS:
    # Thread pools read these when the libraries load, so they are set before any import.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(THREADS)
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen="
                               + ("false" if THREADS == 1 else "true")).strip()

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chainrule  # noqa: E402
import peers as peer_module  # noqa: E402
from workloads import WORKLOADS, polynomial, twenty_lines  # noqa: E402

TARGETS = {   # workload -> (max chainrule/hand-written, min speed-up over autograd and torch)
    "scalar_loop": (1.25, 100.0), "ode": (1.25, 100.0), "control": (1.25, 100.0),
    "mlp": (1.05, 1.0), "rnn": (1.05, 1.0),
}
TRANSFORM_TARGET_MS = 20.0
OVERHEAD_TARGET_US = 5.0


# == allocator ==============================================================================

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3       # glibc's mallopt parameters


def pin_allocator() -> str:
    """Turn glibc's heap trimming and dynamic mmap threshold off (see the module docstring);
    the allocator in use, in words."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return "the platform's default (no glibc mallopt)"
    if mallopt(_M_TRIM_THRESHOLD, 1 << 30) and mallopt(_M_MMAP_THRESHOLD, 32 << 20):
        return "glibc, heap trimming off (trim threshold 1 GiB, mmap threshold 32 MiB)"
    return "the platform's default (mallopt refused)"


def faults_per_call(call, calls: int) -> float | None:
    """Minor page faults per call (None where ``resource`` is missing)."""
    try:
        import resource
    except ImportError:
        return None
    call()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        call()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


# == timing helpers ==========================================================================

def median_seconds(call, repeat: int, number: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            call()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def paired_difference_seconds(call, baseline, repeat: int, number: int) -> float:
    """The median over turns of (seconds per ``call`` - seconds per ``baseline``), both
    timed in the same turn."""
    differences = []
    for _ in range(repeat):
        differences.append(median_seconds(call, 1, number) - median_seconds(baseline, 1, number))
    return statistics.median(differences)


def _sample(call, number: int) -> float:
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            call()
        return (time.perf_counter() - start) / number
    finally:
        if gc_was_enabled:
            gc.enable()


def time_in_turns(calls: dict, quick: bool, heavy: bool) -> dict:
    """Seconds per call, one sample per turn, for each of ``calls`` (label -> zero-argument
    callable), each already called once. Samples are taken in turns across the calls, so
    the samples of one turn saw the machine in the same state."""
    if quick:
        return {label: [_sample(call, 1)] for label, call in calls.items()}
    min_sample, budget = 0.02, (1.5 if heavy else 1.0)
    min_repeat, max_repeat = (5, 15) if heavy else (7, 31)
    plan = {}
    for label, call in calls.items():
        once = max(_sample(call, 1), 1e-7)
        if once > 0.3:                                          # seconds a call: 3 samples
            plan[label] = (1, 3)
            continue
        for _ in range(2):                                      # warm-up
            call()
        once = max(_sample(call, 1), 1e-7)
        number = max(1, int(min_sample / once))
        repeat = int(budget / (once * number))
        plan[label] = (number, max(min_repeat, min(max_repeat, repeat)))
    samples = {label: [] for label in calls}
    labels = list(calls)
    for turn in range(max(repeat for _, repeat in plan.values())):
        gc.collect()
        # Each turn starts with the next implementation, so none always runs right after
        # the collection or right after the slowest peer.
        for label in labels[turn % len(labels):] + labels[:turn % len(labels)]:
            number, repeat = plan[label]
            if turn < repeat:
                samples[label].append(_sample(calls[label], number))
    return samples


def time_groups(groups: list, quick: bool, heavy: bool) -> list[dict]:
    """``time_in_turns`` for each group of calls, one group after the other, with a pause
    between groups: the NumPy-based implementations share a group; JAX and PyTorch each get
    their own, so that their worker threads (which spin for a while after each operation)
    do not take CPU time from the calls measured right after them."""
    results = []
    for group in groups:
        if group:
            if not quick:
                time.sleep(0.2)
            results.append(time_in_turns(group, quick, heavy))
    return results


def paired_ratio(ours: list, theirs: list) -> float:
    """The median over turns of ours / theirs, each pair from the same turn: a shared
    machine that slows down between turns changes both sides of a pair alike."""
    return statistics.median(a / b for a, b in zip(ours, theirs))


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def compare(reference: tuple, candidate: tuple) -> tuple[bool, float]:
    """Whether two gradients agree, and the largest error relative to the reference's scale."""
    worst = 0.0
    ok = len(reference) == len(candidate)
    for want, got in zip(reference, candidate):
        want, got = np.asarray(want, dtype=float), np.asarray(got, dtype=float)
        if want.shape != got.shape:
            return False, float("inf")
        scale = max(float(np.max(np.abs(want))) if want.size else 0.0, 1e-300)
        error = float(np.max(np.abs(want - got))) / scale if want.size else 0.0
        worst = max(worst, error if np.isfinite(error) else float("inf"))
    return ok and worst <= 1e-6, worst


# == workloads ================================================================================

def bench_workload(workload, size: str, peers: list, quick: bool) -> dict:
    args = workload.sizes[size]()
    gradient = chainrule.grad(workload.primal, wrt=workload.wrt)
    reference = _as_tuple(gradient(*args))
    table, key = gradient._code_slot(args)
    generated = table[key]

    calls = {"primal (NumPy/Python)": lambda: workload.primal(*args),
             "chainrule": lambda: gradient(*args),
             "chainrule, generated fn called directly": lambda: generated(*args),
             "hand-written": lambda: workload.hand(*args)}
    for label, function in workload.extra_hand.items():
        calls[label] = (lambda f: lambda: f(*args))(function)
    rows = {label: {"kind": "chainrule" if label.startswith("chainrule") else
                    "primal" if label.startswith("primal") else "hand"} for label in calls}
    for label in calls:
        if rows[label]["kind"] == "hand":
            ok, error = compare(reference, _as_tuple(calls[label]()))
            rows[label].update(check="ok" if ok else "MISMATCH", max_rel_error=error)
    own_groups = []
    for peer in peers:
        row = rows[peer.name] = {"kind": "peer"}
        if peer.missing:
            row["missing"] = "not installed (see the list of peers above)"
            continue
        reason = peer.supports(workload)
        if reason:
            row["missing"] = reason
            continue
        try:
            prepared = peer.prepare(workload, args)
            ok, error = compare(reference, prepared.to_numpy(prepared.call()))
        except Exception as failure:                # a peer failing is reported, not fatal
            row["missing"] = f"failed: {type(failure).__name__}: {failure}".splitlines()[0][:200]
            continue
        row.update(check="ok" if ok else "MISMATCH", max_rel_error=error)
        if prepared.note:
            row["note"] = prepared.note
        if peer.name == "autograd":                 # NumPy underneath: same group
            calls[peer.name] = prepared.call
        else:
            own_groups.append({peer.name: prepared.call})

    if THREADS == 1:     # no worker threads to spin: everything in turns, one group
        for group in own_groups:
            calls.update(group)
        own_groups = []
    for label in ("chainrule", "hand-written"):
        rows[label]["faults_per_call"] = faults_per_call(calls[label], 1 if quick else 20)
    groups = time_groups([calls] + own_groups, quick, workload.heavy)
    samples = {label: values for group in groups for label, values in group.items()}
    ours = samples["chainrule"]
    for label, values in samples.items():
        row = rows[label]
        same_group = label in groups[0]           # timed in turns with chainrule
        row["median_s"] = statistics.median(values)
        primal = samples["primal (NumPy/Python)"]
        row["grad_over_primal"] = paired_ratio(values, primal) if same_group else \
            row["median_s"] / statistics.median(primal)
        if row["kind"] in ("hand", "peer"):
            row["chainrule_over_this"] = paired_ratio(ours, values) if same_group else \
                statistics.median(ours) / row["median_s"]
    return {"description": workload.description, "rows": rows}


def _time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:7.2f} {unit}"
    return f"{seconds / 1e-9:7.1f} ns"


def print_workload(name: str, result: dict) -> None:
    print(f"\n== {name}: {result['description']}")
    print(f"  {'implementation':40} {'median':>10}  {'grad/primal':>11}  "
          f"{'chainrule/this':>14}  {'faults/call':>11}  check")
    for label, row in result["rows"].items():
        if "missing" in row:
            print(f"  {label:40} {'missing':>10}  ({row['missing']})")
            continue
        ratio = row.get("chainrule_over_this")
        ratio_text = f"{ratio:14.3g}" if ratio is not None else f"{'':14}"
        primal_text = f"{row['grad_over_primal']:11.2f}" if row["kind"] != "primal" \
            else f"{'(1)':>11}"
        check = row.get("check", "")
        if check == "MISMATCH":
            check += f" (max rel error {row['max_rel_error']:.2e})"
        note = f"  [{row['note']}]" if row.get("note") else ""
        faults = row.get("faults_per_call")
        faults_text = f"{faults:11.0f}" if faults is not None else f"{'':11}"
        print(f"  {label:40} {_time(row['median_s']):>10}  {primal_text}  {ratio_text}  "
              f"{faults_text}  {check}{note}")


# == memory ===================================================================================

def peak_traced_bytes(call) -> int:
    call()                                  # transform and warm caches outside the trace
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = call()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        tracemalloc.stop()
    return peak - base


def bench_memory(peers: list, quick: bool) -> dict:
    out = {}
    autograd = next((p for p in peers if p.name == "autograd" and not p.missing), None)
    for workload in WORKLOADS:
        if "memory" not in workload.sizes:
            continue
        args = workload.sizes["quick" if quick else "memory"]()
        gradient = chainrule.grad(workload.primal, wrt=workload.wrt)
        entry = {"args": "n=%d" % args[1] if workload.name == "scalar_loop" else "full size",
                 "chainrule": peak_traced_bytes(lambda: gradient(*args)),
                 "hand-written": peak_traced_bytes(lambda: workload.hand(*args)),
                 "primal": peak_traced_bytes(lambda: workload.primal(*args))}
        if autograd is not None:
            prepared = autograd.prepare(workload, args)
            entry["autograd"] = peak_traced_bytes(prepared.call)
        out[workload.name] = entry
    return out


def print_memory(memory: dict) -> None:
    print("\n== peak traced memory of one gradient call (tracemalloc; torch and JAX allocate "
          "outside it, not shown)")
    for name, entry in memory.items():
        parts = [f"{label} {value / 2**20:8.2f} MiB" for label, value in entry.items()
                 if label != "args"]
        print(f"  {name} ({entry['args']}): " + ", ".join(parts))


# == transform and overhead ===================================================================

def first_transform_seconds(function, wrt, args, repeat: int) -> tuple[float, float]:
    """(median, first) seconds to build the gradient and make its first call, less the time
    of a cached call."""
    times = []
    for _ in range(repeat):
        chainrule.clear_cache()
        start = time.perf_counter()
        gradient = chainrule.grad(function, wrt=wrt)
        gradient(*args)
        first = time.perf_counter() - start
        cached = []
        for _ in range(3):
            start = time.perf_counter()
            gradient(*args)
            cached.append(time.perf_counter() - start)
        times.append(first - statistics.median(cached))
    return statistics.median(times), times[0]


def wrapper_overhead_seconds(function, wrt, args, repeat: int, number: int) -> float:
    """What the cached ``grad(f)`` call adds around the generated function: the generated
    function is swapped for a stub returning its result, so only the wrapper is timed."""
    gradient = chainrule.grad(function, wrt=wrt)
    gradient(*args)
    table, key = gradient._code_slot(args)
    result = table[key](*args)

    def stub(*_):
        return result
    table[key] = stub
    return paired_difference_seconds(lambda: gradient(*args), lambda: stub(*args), repeat,
                                     number)


def bench_transform(repeat: int) -> dict:
    median, _ = first_transform_seconds(twenty_lines, (0, 1, 2),
                                        (0.3, 0.7, np.linspace(-1.0, 1.0, 5)), repeat)
    return {"transform_ms": median * 1e3}


def bench_overhead(repeat: int, number: int) -> dict:
    gradient = chainrule.grad(polynomial)
    gradient(3.0)
    table, key = gradient._code_slot((3.0,))
    generated = table[key]
    wrapped = median_seconds(lambda: gradient(3.0), repeat, number)
    direct = median_seconds(lambda: generated(3.0), repeat, number)
    overhead = paired_difference_seconds(lambda: gradient(3.0), lambda: generated(3.0),
                                         repeat, number)
    return {"cached_call_us": wrapped * 1e6, "generated_call_us": direct * 1e6,
            "overhead_us": overhead * 1e6}


_COLD = """
import sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import chainrule
import workloads
name, size = sys.argv[2], sys.argv[3]
if name == "twenty_lines":
    function, wrt, args = workloads.twenty_lines, (0, 1, 2), (0.3, 0.7, np.linspace(-1, 1, 5))
else:
    w = {w.name: w for w in workloads.WORKLOADS}[name]
    function, wrt, args = w.primal, w.wrt, w.sizes[size]()
start = time.perf_counter()
gradient = chainrule.grad(function, wrt=wrt)
gradient(*args)
first = time.perf_counter() - start
cached = []
for _ in range(5):
    start = time.perf_counter()
    gradient(*args)
    cached.append(time.perf_counter() - start)
print(first - sorted(cached)[2])
"""


def cold_transform_seconds(name: str, size: str) -> float | None:
    """The first transform in a fresh process (chainrule imported, nothing transformed yet:
    includes parsing the gradient rules it uses), or None if the subprocess failed."""
    try:
        done = subprocess.run([sys.executable, "-c", _COLD, str(Path(__file__).parent),
                               name, size], capture_output=True, text=True, timeout=120)
        return float(done.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError, OSError):
        return None


def bench_transform_workloads(size: str, quick: bool) -> dict:
    out = {}
    repeat, number = (1, 10) if quick else (15, 2000)
    for workload in WORKLOADS:
        args = workload.sizes[size]()
        median, first = first_transform_seconds(workload.primal, workload.wrt, args,
                                                1 if quick else 20)
        overhead = wrapper_overhead_seconds(workload.primal, workload.wrt, args,
                                            repeat, number)
        out[workload.name] = {"transform_ms": median * 1e3, "transform_first_ms": first * 1e3,
                              "overhead_us": overhead * 1e6}
        if not quick:
            cold = cold_transform_seconds(workload.name, size)
            out[workload.name]["transform_cold_ms"] = cold * 1e3 if cold is not None else None
    return out


# == targets ==================================================================================

def targets(results: dict) -> list[tuple[str, bool, str]]:
    lines = []
    for name, (hand_limit, speedup) in TARGETS.items():
        if name not in results["workloads"]:
            continue
        rows = results["workloads"][name]["rows"]
        ratio = rows["hand-written"]["chainrule_over_this"]
        lines.append((f"{name}: chainrule/hand-written <= {hand_limit}", ratio <= hand_limit,
                      f"{ratio:.3g}"))
        for peer in ("autograd", "torch (eager, CPU)"):
            row = rows.get(peer)
            if row is None or "missing" in row:
                continue
            faster = 1.0 / row["chainrule_over_this"]
            what = f">= {speedup:g}x faster than {peer}" if speedup > 1 else \
                f"faster than {peer}"
            lines.append((f"{name}: {what}", faster >= speedup if speedup > 1 else faster > 1,
                          f"{faster:.3g}x"))
    for name, entry in results["transform"].items():
        lines.append((f"{name}: first transform < {TRANSFORM_TARGET_MS:g} ms",
                      entry["transform_ms"] < TRANSFORM_TARGET_MS,
                      f"{entry['transform_ms']:.1f} ms"))
        cold = entry.get("transform_cold_ms")
        if cold is not None:           # the first transform a user meets in a new process
            lines.append((f"{name}: first transform < {TRANSFORM_TARGET_MS:g} ms, fresh process",
                          cold < TRANSFORM_TARGET_MS, f"{cold:.1f} ms"))
        lines.append((f"{name}: cached call overhead < {OVERHEAD_TARGET_US:g} us",
                      entry["overhead_us"] < OVERHEAD_TARGET_US,
                      f"{entry['overhead_us']:.2f} us"))
    lines.append((f"20-line function: first transform < {TRANSFORM_TARGET_MS:g} ms",
                  results["transform_ms"] < TRANSFORM_TARGET_MS,
                  f"{results['transform_ms']:.1f} ms"))
    cold = results.get("transform_cold_ms")
    if cold is not None:
        lines.append((f"20-line function: first transform < {TRANSFORM_TARGET_MS:g} ms, "
                      f"fresh process", cold < TRANSFORM_TARGET_MS, f"{cold:.1f} ms"))
    return lines


# == main =====================================================================================

def machine_info() -> dict:
    info = {"machine": platform.machine(), "platform": platform.platform(),
            "processor": platform.processor(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "numpy": np.__version__,
            "chainrule": chainrule.__version__}
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        environment = {k: v for k, v in os.environ.items()
                       if k not in ("OMP_NUM_THREADS", "OMP_THREAD_LIMIT")}   # nproc reads them
        info["nproc"] = int(subprocess.run(["nproc"], capture_output=True, text=True,
                                           check=True, env=environment).stdout)
    except (OSError, ValueError, subprocess.CalledProcessError):
        pass
    return info


def cpu_reference_ms() -> float:
    """Milliseconds for a fixed pure-Python loop (best of 5): the speed of the machine at the
    moment, to tell a slow moment of a shared machine from a slow transform. On the machine
    of BENCHMARKS.md it reads about 8 ms in its fast state and 13-14 ms in its slow one."""
    def loop():
        x = 0.5
        for _ in range(200_000):
            x = x * 0.999999 + 1e-7
        return x
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        loop()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--quick", action="store_true",
                        help="one call per measurement on tiny inputs (smoke test)")
    parser.add_argument("--peers", default="all",
                        help="comma-separated peers (autograd,jax,torch,tangent), 'all' or "
                             "'none' (default all; missing peers are reported, not fatal)")
    parser.add_argument("--threads", type=int,
                        help="limit NumPy's BLAS, PyTorch and XLA to this many threads (from "
                             "the command line only: set before the libraries load)")
    parser.add_argument("--workloads", default="all",
                        help="comma-separated workload names or 'all'")
    parser.add_argument("--allocator", choices=("pinned", "default"), default="pinned",
                        help="'pinned' (default) turns glibc's heap trimming off before "
                             "measuring; 'default' keeps it (see the module docstring)")
    options = parser.parse_args(argv)
    quick = options.quick
    size = "quick" if quick else "full"
    wanted = None if options.workloads == "all" else set(options.workloads.split(","))
    names = None if options.peers == "all" else \
        set() if options.peers == "none" else set(options.peers.split(","))
    peers = peer_module.load_peers(names)

    results = machine_info()
    results["threads"] = THREADS or "library defaults"
    results["allocator"] = pin_allocator() if options.allocator == "pinned" else \
        "the platform's default"
    results["command"] = " ".join([Path(sys.argv[0]).name] + list(sys.argv[1:] if argv is None
                                                                  else argv))
    results["peers"] = {p.name: (p.version if not p.missing else f"missing: {p.missing}")
                        for p in peers}
    print(f"chainrule {results['chainrule']} on Python {results['python']}, "
          f"NumPy {results['numpy']} ({results['machine']}, {results.get('cpu', '?')}, "
          f"{results.get('nproc', results['cpus'])} CPUs; threads: {results['threads']})")
    print(f"  allocator: {results['allocator']}")
    for peer in peers:
        print(f"  {peer.name:20} {peer.version if not peer.missing else 'missing: ' + peer.missing}")
    results["cpu_reference_ms_start"] = cpu_reference_ms()
    print(f"  CPU reference (200,000 multiply-adds in a Python loop): "
          f"{results['cpu_reference_ms_start']:.2f} ms")

    results["workloads"] = {}
    for workload in WORKLOADS:
        if wanted is not None and workload.name not in wanted:
            continue
        results["workloads"][workload.name] = result = bench_workload(workload, size, peers,
                                                                      quick)
        print_workload(workload.name, result)

    if wanted is None or wanted & {"scalar_loop", "rnn"}:
        results["memory"] = bench_memory(peers, quick)
        print_memory(results["memory"])

    repeat, number = (1, 10) if quick else (15, 20000)
    results.update(bench_transform(3 if quick else 30))
    results.update(bench_overhead(repeat, number))
    results["transform"] = bench_transform_workloads(size, quick)
    results["cpu_reference_ms_transform"] = cpu_reference_ms()
    print("\n== transform and cached-call overhead (chainrule)")
    print(f"  CPU reference now: {results['cpu_reference_ms_transform']:.2f} ms (absolute times "
          f"below scale with it)")
    print(f"  {'workload':14} {'first transform (median)':>25} {'cold, fresh process':>20} "
          f"{'cached-call overhead':>21}")
    for name, entry in results["transform"].items():
        cold = entry.get("transform_cold_ms")
        cold_text = f"{cold:17.2f} ms" if cold is not None else f"{'-':>20}"
        print(f"  {name:14} {entry['transform_ms']:22.2f} ms {cold_text} "
              f"{entry['overhead_us']:18.2f} us")
    if not quick:
        cold = cold_transform_seconds("twenty_lines", size)
        results["transform_cold_ms"] = cold * 1e3 if cold is not None else None
        if cold is not None:
            print(f"  20-line function: first transform in a fresh process {cold * 1e3:.2f} ms")
    print(f"  20-line function: first transform {results['transform_ms']:.2f} ms;"
          f" polynomial: cached call {results['cached_call_us']:.2f} us, generated function"
          f" {results['generated_call_us']:.2f} us, overhead {results['overhead_us']:.2f} us")

    results["targets"] = [{"target": t, "met": met, "measured": m}
                          for t, met, m in targets(results)]
    print("\n== targets" + (" (quick run: single calls on tiny inputs, not meaningful)"
                             if quick else ""))
    for entry in results["targets"]:
        print(f"  {'met   ' if entry['met'] else 'MISSED'} {entry['target']:62} "
              f"measured {entry['measured']}")
    mismatches = [(w, label) for w, r in results["workloads"].items()
                  for label, row in r["rows"].items() if row.get("check") == "MISMATCH"]
    if mismatches:
        print("\nMISMATCH: these gradients disagree with chainrule's: "
              + ", ".join(f"{label} on {w}" for w, label in mismatches))
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
