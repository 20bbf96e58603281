# Two commands on a fresh machine: `make run` (the service, with a demo country) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WEB := src/healthcert/web
LOCALE := $(WEB)/locale
CLI_LOCALE := src/healthcert/cli/locale
# The API docs page's scripts, served from this host (fetched from the npm registry, not committed).
SWAGGER_UI_VERSION := 5.17.14
SWAGGER := $(WEB)/static/vendor/swagger-ui
# The check page's QR reader where the browser has no BarcodeDetector (loaded only then).
ZXING_VERSION := 3.1.8
ZXING := $(WEB)/static/vendor/zxing-wasm
VENDOR := $(SWAGGER)/swagger-ui-bundle.js $(ZXING)/zxing_reader.js

.PHONY: run demo test lint bench clean messages-extract messages-update messages-compile

# setup.py builds the optional C extensions (fast paths of Base45 and CBOR) next to their sources.
$(STAMP): pyproject.toml setup.py src/healthcert/codec/_base45.c src/healthcert/codec/_cbor.c src/healthcert/codec/_jose.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pybabel compile -d $(LOCALE) -D messages
	$(BIN)/pybabel compile -d $(CLI_LOCALE) -D cli
	touch $(STAMP)

$(SWAGGER)/swagger-ui-bundle.js:
	rm -rf $(SWAGGER) $(SWAGGER).tmp && mkdir -p $(SWAGGER).tmp
	cd $(SWAGGER).tmp && npm pack --silent swagger-ui-dist@$(SWAGGER_UI_VERSION) >/dev/null && tar xzf swagger-ui-dist-*.tgz
	mkdir -p $(SWAGGER)
	cp $(SWAGGER).tmp/package/swagger-ui-bundle.js $(SWAGGER).tmp/package/swagger-ui.css $(SWAGGER).tmp/package/LICENSE $(SWAGGER)/
	rm -rf $(SWAGGER).tmp

# zxing-wasm's reader: the script (global ZXingWASM), its WebAssembly module and the licence.
$(ZXING)/zxing_reader.js:
	rm -rf $(ZXING) $(ZXING).tmp && mkdir -p $(ZXING).tmp
	cd $(ZXING).tmp && npm pack --silent zxing-wasm@$(ZXING_VERSION) >/dev/null && tar xzf zxing-wasm-*.tgz
	mkdir -p $(ZXING)
	cp $(ZXING).tmp/package/dist/iife/reader/index.js $(ZXING)/zxing_reader.js
	cp $(ZXING).tmp/package/dist/reader/zxing_reader.wasm $(ZXING).tmp/package/LICENSE $(ZXING)/
	rm -rf $(ZXING).tmp

# The catalogs of the pages (templates) and of the command line (its own domain, cli): extract
# the messages, merge them into each language's .po (translate there), compile the .mo files.
messages-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ --no-location -o $(LOCALE)/messages.pot .
	$(BIN)/pybabel extract -F babel-cli.cfg --no-location -o $(CLI_LOCALE)/cli.pot .

messages-update: messages-extract
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages --ignore-obsolete
	$(BIN)/pybabel update -i $(CLI_LOCALE)/cli.pot -d $(CLI_LOCALE) -D cli --ignore-obsolete

messages-compile: $(STAMP)
	$(BIN)/pybabel compile -d $(LOCALE) -D messages
	$(BIN)/pybabel compile -d $(CLI_LOCALE) -D cli

# The certificate service on 127.0.0.1:8000 with SQLite, a demo country, demo API keys and a
# demo holder whose sign-in code appears in the terminal.
run: $(STAMP) $(VENDOR)
	$(BIN)/healthcert serve --demo

# The command-line walk-through: keys, issue in three formats with QR images, verify, verdict.
demo: $(STAMP)
	$(BIN)/python -m healthcert.demo

# The OpenID Connect provider the holder sign-in tests run on Node (fetched from the npm
# registry into build/, not committed); without npm those tests are skipped with the reason.
OIDC_PROVIDER := build/oidc-provider/node_modules/oidc-provider/package.json
$(OIDC_PROVIDER):
	@if command -v npm >/dev/null; then npm install --silent --no-audit --no-fund --prefix build/oidc-provider oidc-provider@9.13.3; else echo "make test: no npm, the OpenID Connect tests are skipped"; fi

test: $(STAMP) $(VENDOR) $(OIDC_PROVIDER)
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
	$(BIN)/python bench/bench_sealed.py
	$(BIN)/python bench/bench_precheck.py
	$(BIN)/python bench/bench_declarations.py
	$(BIN)/python bench/bench_gateway.py

clean:
	rm -rf $(VENV) build src/*.egg-info
	find src -name '*.so' -delete
