# Two commands on a fresh machine: `make run` (the service, with a demo country) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WEB := src/healthcert/web
LOCALE := $(WEB)/locale
# The API docs page's scripts, served from this host (fetched from the npm registry, not committed).
SWAGGER_UI_VERSION := 5.17.14
SWAGGER := $(WEB)/static/vendor/swagger-ui

.PHONY: run demo test lint bench clean messages-extract messages-update messages-compile

# setup.py builds the optional C extensions (fast paths of Base45 and CBOR) next to their sources.
$(STAMP): pyproject.toml setup.py src/healthcert/codec/_base45.c src/healthcert/codec/_cbor.c src/healthcert/codec/_jose.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pybabel compile --use-fuzzy -d $(LOCALE) -D messages
	touch $(STAMP)

$(SWAGGER)/swagger-ui-bundle.js:
	rm -rf $(SWAGGER) $(SWAGGER).tmp && mkdir -p $(SWAGGER).tmp
	cd $(SWAGGER).tmp && npm pack --silent swagger-ui-dist@$(SWAGGER_UI_VERSION) >/dev/null && tar xzf swagger-ui-dist-*.tgz
	mkdir -p $(SWAGGER)
	cp $(SWAGGER).tmp/package/swagger-ui-bundle.js $(SWAGGER).tmp/package/swagger-ui.css $(SWAGGER).tmp/package/LICENSE $(SWAGGER)/
	rm -rf $(SWAGGER).tmp

# The pages' catalogs: extract the messages of the templates, merge them into each language's
# .po (translate there), compile the .mo files the service reads.
messages-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ --no-location -o $(LOCALE)/messages.pot .

messages-update: messages-extract
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages --ignore-obsolete

messages-compile: $(STAMP)
	$(BIN)/pybabel compile -d $(LOCALE) -D messages

# The certificate service on 127.0.0.1:8000 with SQLite, a demo country, demo API keys and a
# demo holder whose sign-in code appears in the terminal.
run: $(STAMP) $(SWAGGER)/swagger-ui-bundle.js
	$(BIN)/healthcert serve --demo

# The command-line walk-through: keys, issue in three formats with QR images, verify, verdict.
demo: $(STAMP)
	$(BIN)/python -m healthcert.demo

test: $(STAMP) $(SWAGGER)/swagger-ui-bundle.js
	@command -v chromium >/dev/null || echo "make test: no chromium on PATH, the browser tests are skipped (apt-get install -y chromium)"
	$(BIN)/pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/bench_hc1.py
	$(BIN)/python bench/bench_shc.py
	$(BIN)/python bench/bench_check_page.py
	$(BIN)/python bench/bench_certlogic.py
	$(BIN)/python bench/bench_service.py
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_health_code.py
	$(BIN)/python bench/bench_precheck.py
	$(BIN)/python bench/bench_declarations.py

clean:
	rm -rf $(VENV) build src/*.egg-info
	find src -name '*.so' -delete
