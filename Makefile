# `make run` serves the storefront on http://$(HOST):$(PORT); `make test` runs every check.
# Both create .venv and install what they need; every setting comes from the environment.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 5000
export HOST PORT
export FLASK_APP := wsgi:app
# `make run` is for development: demo endpoints on, sandbox webhooks delivered.
RUN_ENV := MOONLY_ENV=$${MOONLY_ENV:-development}

.PHONY: install run test lint typecheck migrate bootstrap clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Moonly needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

migrate: install
	$(RUN_ENV) $(BIN)/flask db upgrade

bootstrap: migrate
	$(RUN_ENV) $(BIN)/flask stripe bootstrap

run: bootstrap
	@echo "Moonly on http://$(HOST):$(PORT)  (try http://$(HOST):$(PORT)/?ucc=test&productId=test)"
	$(RUN_ENV) $(BIN)/flask run --host "$(HOST)" --port "$(PORT)"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
