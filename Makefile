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

.PHONY: demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test,qiskit,bench,rl,chem,ml,scale]' '$(TORCH)'
	touch $@

$(VENV)/.installed-demo-rl: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[rl,qiskit]' '$(TORCH)'
	touch $@

# The main job, small: train the CRLQAS agent (masked double DQN + curriculum) on H2 (2 qubits,
# noiseless) with the CPU-sized agent profile until its greedy policy builds a chemically accurate
# circuit in 3 evaluations in a row (about a minute on 2 cores), print that circuit (OpenQASM) and
# the run's report (table + learning curves under $(DEMO_OUT)/report/).
DEMO_OUT ?= runs/demo-h2-2q
demo: $(VENV)/.installed-demo-rl
	rm -rf $(DEMO_OUT)
	$(BIN)/crlqas train --preset h2-2q --profile cpu --seed 100 --stop-on-success 3 --out $(DEMO_OUT)
	$(BIN)/crlqas report $(DEMO_OUT)

# Lint and format check (ruff, configured in pyproject.toml), then the tests.
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf .numba_cache .pytest_cache .hypothesis build *.egg-info
