"""A corpus of whole, realistic user functions, checked end to end by ``tests/test_corpus.py``.

Each module defines ordinary straight-line functions (the subset chainrule supports today) and
a module-level ``CASES`` list of ``(function, args, wrt)``, with inputs inside the function's
domain and away from kinks, so central finite differences are a fair reference.
"""

from . import array_functions, models, scalar_functions

MODULES = (scalar_functions, array_functions, models)


def all_cases():
    """``(case_id, function, args, wrt)`` for every case of every corpus module."""
    cases = []
    for module in MODULES:
        short = module.__name__.rsplit(".", 1)[-1]
        seen = {}
        for function, args, wrt in module.CASES:
            name = function.__name__
            seen[name] = seen.get(name, 0) + 1
            suffix = "" if seen[name] == 1 else f"-{seen[name]}"
            cases.append((f"{short}.{name}{suffix}", function, args, wrt))
    return cases
