"""The transform cache.

Parsing and normalizing happen once per function code object; generating and compiling once
per (code, wrt, mode, argument kinds), and once per shape class of the arguments for code that
relies on shapes (:func:`lookup_for_shapes`). Keying by the code object means a redefined function
(same name, new code) never gets the old gradient, while closures made by the same ``def``
share one transform. A lock makes concurrent first calls produce a single transform. The
cache is bounded (``MAX_ENTRIES``; the oldest transforms go first), so a program that keeps
defining new functions does not grow it without end.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

MAX_ENTRIES = 1024          # least recently made transforms are dropped beyond this

_lock = threading.RLock()
_entries: "OrderedDict[Any, Any]" = OrderedDict()
_stats = {"hits": 0, "misses": 0}


@dataclass(frozen=True)
class CacheInfo:
    hits: int
    misses: int
    entries: int


def lookup(key, make: Callable[[], Any]) -> Any:
    """The cached value for ``key``, made (once, under the lock) if missing."""
    value = _hit(key)
    if value is not None:
        return value
    with _lock:
        value = _hit(key)
        if value is None:
            _stats["misses"] += 1
            value = make()
            _entries[key] = value
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
        return value


def lookup_for_shapes(key, shapes, make: Callable[[], Any]) -> Any:
    """The transform for ``key`` made for the shape class ``shapes`` (see ``shapes.py``; None
    for the general code). A transform made for a class that turned out not to rely on it
    (``generated.uses_shapes`` false) serves every class: it is stored under ``key`` alone,
    so other classes find it."""
    value = _hit(key)
    if value is not None:
        return value
    with _lock:
        value = _hit(key)
        if value is not None:
            return value
        value = lookup((key, shapes), make)
        # Made without a class (shapes None), it is the general code but says nothing of
        # what a class would allow: it stays apart.
        if shapes is not None and not value.generated.uses_shapes:
            _entries.pop((key, shapes), None)
            _entries[key] = value
        return value


def _hit(key) -> Any:
    """The cached value for ``key`` (counted as a hit), or None."""
    value = _entries.get(key)
    if value is not None:
        _stats["hits"] += 1
    return value


def forget(key) -> None:
    """Drop one transform (it went stale: a function it calls was redefined), for every shape
    class."""
    with _lock:
        _entries.pop(key, None)
        for stale in [k for k in _entries if type(k) is tuple and len(k) == 2 and k[0] == key]:
            del _entries[stale]


def cache_info() -> CacheInfo:
    """Hits and misses of the transform cache, and how many transforms it holds."""
    return CacheInfo(_stats["hits"], _stats["misses"], len(_entries))


def clear_cache() -> None:
    """Forget every transform (e.g. after registering a new gradient rule)."""
    with _lock:
        _entries.clear()
        _stats["hits"] = _stats["misses"] = 0
