# The project's virtual environment is created and refreshed by every target that runs code,
# so `make demo` and `make test` work on a fresh machine with only Python 3.10+ and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow test-all bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/quickstart.py

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Slow checks (long random-program campaigns) that the default run leaves out.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# The suite on every supported Python found (pyenv's installs first, then PATH); a version
# not installed is reported and skipped.
test-all:
	@set -e; for v in 3.10 3.11 3.12 3.13; do \
	  py=""; \
	  for candidate in $$(ls -d $$HOME/.pyenv/versions/$$v.*/bin/python 2>/dev/null | sort -V | tail -n 1) $$(command -v python$$v); do \
	    if "$$candidate" --version >/dev/null 2>&1; then py=$$candidate; break; fi; \
	  done; \
	  if [ -z "$$py" ]; then echo "== Python $$v not found, skipped"; continue; fi; \
	  echo "== Python $$v ($$py)"; \
	  $(MAKE) --no-print-directory test PYTHON=$$py VENV=.venv-$$v; \
	done

# A long random-program campaign (tests/fuzz): FUZZ_COUNT programs; prints the count checked,
# the constructs covered and every failure with its shrunk program. FUZZ_ARGS="--seed 7" reruns.
FUZZ_COUNT ?= 10000
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz --count $(FUZZ_COUNT) $(FUZZ_ARGS)

# Peers for the benchmarks (the optional `bench` extra: autograd, jax, torch==2.13.0 CPU),
# installed best-effort: a peer that fails to install is reported as missing by the
# benchmark, never fatal. `make bench BENCH_ARGS="--quick --peers none"` needs none of them.
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP)
	@$(BIN)/python -m pip install --quiet -e '.[bench]' || \
	  for req in $$($(BIN)/python benchmarks/peers.py --requirements); do \
	    $(BIN)/python -m pip install --quiet "$$req" || \
	      echo "make bench: could not install $$req; the benchmark reports it as missing"; \
	  done
	@touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .venv-* .pytest_cache build dist src/*.egg-info
