# Two commands do all set-up on a fresh machine (Python 3.11+ only):
#   make run    install into .venv, migrate the database, start the bot
#   make test   install into .venv, lint, type-check and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tinhhinh db upgrade
	$(BIN)/tinhhinh run

demo: $(STAMP)
	$(BIN)/tinhhinh demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy bot/engine storage

test: lint
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
