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

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .venv-* .pytest_cache build dist src/*.egg-info
