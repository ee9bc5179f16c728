# Two entry points a fresh clone needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench bench-peers clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m rxkucoin demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check rxkucoin tests

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/pytest -q tests/benchmarks -s

# rxkucoin against ccxt pro and the official SDK on the same feed, in a venv of their own
# (not part of `make test`, `make bench` or CI): docs/benchmarks.md, "Peers"
PEERS := .venv-peers
PEERS_STAMP := $(PEERS)/.installed

$(PEERS_STAMP): pyproject.toml
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/pip install --quiet --upgrade pip
	$(PEERS)/bin/pip install --quiet -e . pytest 'ccxt>=4.5,<5' 'kucoin-universal-sdk>=1.3.2,<1.4'
	touch $(PEERS_STAMP)

bench-peers: $(PEERS_STAMP)
	$(PEERS)/bin/python -m tests.benchmarks.peers

clean:
	rm -rf $(VENV) .venv-peers .pytest_cache .mypy_cache .ruff_cache
