# crlqas: the README quick start is `make demo` and `make test`.
# Both create $(VENV) with `python3 -m venv` when it is missing and install with plain pip.
#
# torch is pinned in the same pip command as stable-baselines3 (the `rl` extra): on these machines
# torch==2.13.0 is a local CPU wheel, and an unpinned torch would pull a multi-GB CUDA build.
TORCH  ?= torch==2.13.0

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba_cache

.PHONY: demo test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test,qiskit,bench,rl,chem]' '$(TORCH)'
	touch $@

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[bench]'
	touch $@

# Short benchmark of qnoise against the installed peers (Qiskit Aer, qulacs) on the bundled
# workloads.  (Later: a short QAS training run.)
demo: $(VENV)/.installed-demo
	$(BIN)/crlqas bench simulator --workloads tests/data --repeats 5 --budget 1

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

clean:
	rm -rf .numba_cache .pytest_cache .hypothesis build *.egg-info
