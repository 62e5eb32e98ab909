"""The peer libraries the benchmarks compare chainrule with (the optional ``bench`` extra).

Each peer turns a workload into a zero-argument gradient call on inputs converted ahead of
time (conversion is not timed) and a function that turns the call's result into NumPy
values, so that its gradient can be checked against chainrule's. A peer that is not
installed (or does not import) is reported as missing with the reason; it is never fatal.
"""

from __future__ import annotations

import importlib
import os
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

TANGENT_NOTE = ("tangent 0.1.9 (2018) predates Python 3.8: its dependencies pull tf-nightly "
                "and enum34 (which shadows the standard library's enum on Python 3.11), and "
                "with --no-deps it fails to import against gast>=0.6 (gast.Num is gone); "
                "skipped, as the benchmark does not patch peers")


@dataclass
class Prepared:
    call: Callable[[], object]                  # the gradient, timed
    to_numpy: Callable[[object], tuple]         # its result as a tuple of NumPy values
    note: str = ""


class Peer:
    name = ""
    modules: tuple = ()

    def __init__(self):
        self.version = None
        self.missing = None
        try:
            self.load()
        except Exception as error:              # ImportError, or a broken install
            self.missing = f"{type(error).__name__}: {error}".splitlines()[0][:160]

    def load(self):
        raise NotImplementedError

    def supports(self, workload) -> str | None:
        """None if the peer can run the workload, else why not."""
        return None

    def prepare(self, workload, args) -> Prepared:
        raise NotImplementedError


def _tuple(values) -> tuple:
    return tuple(values) if isinstance(values, (tuple, list)) else (values,)


class Autograd(Peer):
    name = "autograd"

    def load(self):
        self.autograd = importlib.import_module("autograd")
        self.anp = importlib.import_module("autograd.numpy")
        from importlib.metadata import version
        self.version = version("autograd")

    def prepare(self, workload, args):
        gradient = self.autograd.grad(workload.make_peer(self.anp), tuple(workload.wrt))
        return Prepared(lambda: gradient(*args),
                        lambda result: tuple(np.asarray(g) for g in _tuple(result)))


class _Jax(Peer):
    jit = False

    def load(self):
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        self.jax = importlib.import_module("jax")
        self.jax.config.update("jax_enable_x64", True)     # float64, as NumPy
        self.jnp = importlib.import_module("jax.numpy")
        self.version = self.jax.__version__

    def prepare(self, workload, args):
        jax = self.jax
        converted = tuple(jax.device_put(a) if isinstance(a, np.ndarray) else a for a in args)
        gradient = jax.grad(workload.make_peer(self.jnp), argnums=tuple(workload.wrt))
        note = ""
        if self.jit:
            gradient = jax.jit(gradient, static_argnums=tuple(workload.static))
            start = time.perf_counter()
            jax.block_until_ready(gradient(*converted))
            note = f"jit compile + first call {time.perf_counter() - start:.2f} s"

        def call():
            return jax.block_until_ready(gradient(*converted))
        return Prepared(call, lambda result: tuple(np.asarray(g) for g in _tuple(result)), note)


class JaxEager(_Jax):
    name = "jax.grad (eager)"


class JaxJit(_Jax):
    name = "jax.jit(jax.grad)"
    jit = True

    def supports(self, workload):
        if not workload.jit_ok:
            return ("not applicable: jit cannot trace Python while/if on traced values "
                    "(needs lax.while_loop/lax.cond, i.e. different code)")
        return None


class Torch(Peer):
    name = "torch (eager, CPU)"

    def load(self):
        self.torch = importlib.import_module("torch")
        self.version = f"{self.torch.__version__} ({self.torch.get_num_threads()} threads)"

    def prepare(self, workload, args):
        torch = self.torch
        converted = []
        for position, value in enumerate(args):
            if position in workload.wrt:
                value = torch.tensor(value, dtype=torch.float64, requires_grad=True)
            elif isinstance(value, np.ndarray):
                value = torch.from_numpy(value)
            converted.append(value)
        leaves = [converted[p] for p in workload.wrt]
        function = workload.make_peer(torch)

        def call():
            return torch.autograd.grad(function(*converted), leaves)
        return Prepared(call, lambda result: tuple(g.detach().numpy() for g in result))


class Tangent(Peer):
    name = "tangent"

    def load(self):
        self.tangent = importlib.import_module("tangent")
        self.version = getattr(self.tangent, "__version__", "?")

    def prepare(self, workload, args):
        gradient = self.tangent.grad(workload.primal, wrt=tuple(workload.wrt))
        return Prepared(lambda: gradient(*args),
                        lambda result: tuple(np.asarray(g) for g in _tuple(result)))


PEER_CLASSES = [Autograd, JaxEager, JaxJit, Torch, Tangent]


def load_peers(names) -> list[Peer]:
    """The peers asked for (``names``: None for all), loaded; missing ones carry a reason."""
    peers = []
    for cls in PEER_CLASSES:
        if names is not None and cls.name.split()[0].split(".")[0] not in names \
                and cls.name not in names:
            continue
        peer = cls()
        if cls is Tangent and peer.missing:
            peer.missing = f"{peer.missing} — {TANGENT_NOTE}"
        peers.append(peer)
    return peers


def bench_requirements() -> list[str]:
    """The requirements of chainrule's ``bench`` extra (from the installed metadata)."""
    from importlib.metadata import requires
    out = []
    for requirement in requires("chainrule") or []:
        spec, _, marker = requirement.partition(";")
        if marker.replace(" ", "").replace("'", '"') == 'extra=="bench"':
            out.append(spec.strip())
    return out


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["--requirements"]:      # used by `make bench` to install peers one by one
        print("\n".join(bench_requirements()))
    else:
        for peer in load_peers(None):
            print(f"{peer.name:20} {peer.version if not peer.missing else 'missing: ' + peer.missing}")
