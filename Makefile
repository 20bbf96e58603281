# Two commands on a fresh machine: `make run` (the service, with a demo country) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test lint bench clean

# setup.py builds the optional C extensions (fast paths of Base45 and CBOR) next to their sources.
$(STAMP): pyproject.toml setup.py src/healthcert/codec/_base45.c src/healthcert/codec/_cbor.c src/healthcert/codec/_jose.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The certificate service on 127.0.0.1:8000 with SQLite, a demo country, demo API keys and a
# demo holder whose sign-in code appears in the terminal.
run: $(STAMP)
	$(BIN)/healthcert serve --demo

# The command-line walk-through: keys, issue in three formats with QR images, verify, verdict.
demo: $(STAMP)
	$(BIN)/python -m healthcert.demo

test: $(STAMP)
	$(BIN)/pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/bench_hc1.py
	$(BIN)/python bench/bench_shc.py
	$(BIN)/python bench/bench_certlogic.py
	$(BIN)/python bench/bench_service.py

clean:
	rm -rf $(VENV) build src/*.egg-info
	find src -name '*.so' -delete
