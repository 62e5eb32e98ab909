"""The transform happens once per (code, wrt, mode, argument kinds) and is reused."""

import threading

import numpy as np
import pytest

import chainrule
import chainrule.api
from chainrule import grad


def cube(x):
    return x * x * x


def test_second_grad_and_every_call_reuse_the_transform(fresh_cache, monkeypatch):
    parses = []
    original = chainrule.api.parse_function
    monkeypatch.setattr(chainrule.api, "parse_function",
                        lambda f: parses.append(f) or original(f))
    assert grad(cube)(2.0) == 12.0
    misses = chainrule.cache_info().misses
    assert len(parses) == 1
    for _ in range(3):
        assert grad(cube)(2.0) == 12.0
    info = chainrule.cache_info()
    assert len(parses) == 1 and info.misses == misses and info.hits >= 3
    assert info.entries == misses


def test_clear_cache(fresh_cache):
    grad(cube)(2.0)
    assert chainrule.cache_info().entries > 0
    chainrule.clear_cache()
    assert chainrule.cache_info() == chainrule.cache.CacheInfo(0, 0, 0)


def test_redefined_function_never_gets_the_old_gradient(fresh_cache):
    def f(x):
        return x * x
    first = grad(f)(3.0)

    def f(x):  # noqa: F811  (redefinition is the point)
        return x * x * x
    assert (first, grad(f)(3.0)) == (6.0, 27.0)


def cube_total(x):
    return np.sum(x * x * x)


def test_scalar_and_array_calls_get_their_own_specialization(fresh_cache):
    g = grad(cube_total)
    assert g(2.0) == 12.0
    assert np.allclose(g(np.array([1.0, 2.0])), [3.0, 12.0])
    assert g(3.0) == 27.0
    assert len(g._specialized) == 2


def test_concurrent_first_calls_make_one_transform(fresh_cache):
    def quartic(x):
        return x * x * x * x

    barrier = threading.Barrier(8)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(grad(quartic)(2.0))
        except Exception as error:            # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and results == [32.0] * 8
    assert chainrule.cache_info().misses == 2          # one normal form, one gradient


@pytest.mark.parametrize("mode", [chainrule.grad, chainrule.value_and_grad])
def test_modes_are_cached_separately(fresh_cache, mode):
    result = mode(cube)(2.0)
    assert result == 12.0 or result == (8.0, 12.0)


def test_cache_is_bounded(fresh_cache, monkeypatch):
    monkeypatch.setattr(chainrule.cache, "MAX_ENTRIES", 4)
    for power in range(1, 6):
        namespace = {}
        source = f"def p(x):\n    return x ** {power}\n"
        filename = f"<bounded-{power}>"
        import linecache
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), namespace)
        assert grad(namespace["p"])(1.0) == power
    assert chainrule.cache_info().entries <= 4


def _scaled_sum(c):
    def scaled(x):
        return np.sum(x * c)
    return scaled


def _calls_scaled(c):
    inner = _scaled_sum(c)

    def outer(x):
        return inner(x) * 2.0
    return outer


def test_closures_of_one_def_each_get_code_for_their_own_values(fresh_cache):
    # One transform serves closures made by the same def, but it was specialized for the
    # first one's values: a number there, an array in the second.
    by_number, by_array = _scaled_sum(2.0), _scaled_sum(np.ones((3, 4)))
    np.testing.assert_array_equal(grad(by_number)(np.ones(4)), np.full(4, 2.0))
    np.testing.assert_array_equal(grad(by_array)(np.ones(4)), np.full(4, 3.0))
    np.testing.assert_array_equal(grad(by_number)(np.ones(4)), np.full(4, 2.0))
    # The same through a called closure's forward/backward pair.
    np.testing.assert_array_equal(grad(_calls_scaled(2.0))(np.ones(4)), np.full(4, 4.0))
    np.testing.assert_array_equal(grad(_calls_scaled(np.ones((3, 4))))(np.ones(4)),
                                  np.full(4, 6.0))
