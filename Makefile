# Two commands do all set-up on a fresh machine (Python 3.11+ only):
#   make run    install into .venv, migrate the database, start the bot
#   make test   install into .venv, lint, type-check and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Telegram Bot API peer for the end-to-end tests (Node, pinned by its lock file).
PEER := tests/e2e/telegram_peer
PEER_STAMP := $(PEER)/node_modules/.package-lock.json

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
	$(BIN)/mypy bot handlers storage scheduler

$(PEER_STAMP): $(PEER)/package-lock.json
	npm ci --prefix $(PEER) --no-audit --no-fund

test: lint $(PEER_STAMP)
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
