# `make run` serves the storefront on http://$(HOST):$(PORT); `make test` runs every check.
# Both create .venv and install what they need; every setting comes from the environment.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run` installs what running needs; `make test` adds the development tools.
RUNTIME_STAMP := $(VENV)/.runtime-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.dev-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 5000
export HOST PORT
export FLASK_APP := wsgi:app
# `make run` is for development: demo endpoints on, sandbox webhooks delivered.
RUN_ENV := MOONLY_ENV=$${MOONLY_ENV:-development}
# uv installs in seconds; plain pip (set up in the venv then) when uv cannot be had.
INSTALL = ([ -x $(BIN)/uv ] && $(BIN)/uv pip install --quiet --python $(BIN)/python -r $(1)) \
	|| (($(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade --default-pip >/dev/null) \
		&& $(BIN)/python -m pip install --quiet -r $(1))

.PHONY: install install-runtime browser-tools run urls test lint typecheck migrate bootstrap clean load bench sandbox storm

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Moonly needs Python 3.11 or newer; set PYTHON=python3.x")'
	@# No pip in the venv (setting it up takes longer than the whole install with uv):
	@# uv from PATH, else from PyPI with this Python's own pip.
	$(PYTHON) -m venv --without-pip $(VENV)
	@(command -v uv >/dev/null 2>&1 && ln -sf "$$(command -v uv)" $(BIN)/uv) \
		|| $(PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check uv >/dev/null 2>&1 \
		|| echo "uv could not be had: installing with pip"

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(call INSTALL,requirements.txt)
	rm -f $(VENV)/.runtime-*
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(call INSTALL,requirements-dev.txt)
	rm -f $(VENV)/.dev-*
	touch $@

install-runtime: $(RUNTIME_STAMP)

install: $(DEV_STAMP)

migrate: install-runtime
	$(RUN_ENV) $(BIN)/flask db upgrade

bootstrap: migrate
	$(RUN_ENV) $(BIN)/flask stripe bootstrap

# `make run`: the URLs first, then one process migrates, bootstraps and serves
# (`flask serve`: `flask db upgrade`, `flask stripe bootstrap` and `flask run` in one).
run: urls install-runtime
	$(RUN_ENV) $(BIN)/flask serve --host "$(HOST)" --port "$(PORT)"

urls:
	@echo "The demo console: http://$(HOST):$(PORT)/demo/"
	@echo "The storefront:   http://$(HOST):$(PORT)/  (an invite: http://$(HOST):$(PORT)/?ucc=test&productId=test)"

# `make sandbox`: the offline Stripe over HTTP, for any Stripe SDK or curl, and for the
# app's real-Stripe code path: STRIPE_SECRET_KEY=sk_test_x \
#   STRIPE_API_BASE=http://127.0.0.1:12111 make run
SANDBOX_PORT ?= 12111
SANDBOX_DATABASE_URL ?= sqlite:///$(CURDIR)/instance/stripe-sandbox-http.sqlite3
sandbox: install-runtime
	@mkdir -p instance
	$(BIN)/python -m moonly.stripe_sandbox --host 127.0.0.1 --port "$(SANDBOX_PORT)" \
		--database-url "$(SANDBOX_DATABASE_URL)"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# The browser tests' accessibility audits inject axe-core into Chromium (never into the
# app's pages): pinned in tests/browser/package-lock.json, installed here with npm. Under
# CI a missing npm fails; elsewhere those audits skip, saying how to install it.
AXE := tests/browser/node_modules/axe-core/axe.min.js

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	touch $@

browser-tools:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) -s --no-print-directory $(AXE); \
	elif [ -n "$$CI" ]; then echo "npm is missing: CI must install it (apt-get install -y npm)" >&2; exit 1; \
	else echo "npm not found: the accessibility audits will skip (apt-get install -y npm)"; fi

test: lint typecheck browser-tools
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/browser/node_modules

# `make load`: signups (scenarios A and B) and a webhook storm under gunicorn on PostgreSQL
# (127.0.0.1:5432, databases moonly_load and moonly_load_b); exits 1 on loss, duplicates,
# mismatches or a 5xx. `make bench`: Moonly vs a bare Flask app, written to docs/benchmarks.md.

# Load and benchmarks run gunicorn on PostgreSQL (127.0.0.1:5432) in databases of their own.
load: install
	$(BIN)/python scripts/load.py --bin $(BIN)

# `make storm`: 3 rounds of 60 signups from 12 clients against `flask run` on SQLite.
storm: install
	$(BIN)/python scripts/embedded_storm.py --bin $(BIN)

bench: install
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && timeout 300 apt-get install -y -qq wrk) >/dev/null 2>&1 \
		|| echo "wrk could not be installed: the GET figures use the Python client of scripts/traffic.py"
	$(BIN)/python scripts/bench.py --bin $(BIN)
