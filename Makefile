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

.PHONY: run test lint demo bench clean lock

# Dependencies come from the lock file (exact versions and hashes); the project itself is
# installed on top without resolving anything again. `make lock` regenerates the locks.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
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
	$(BIN)/pip install -q -r requirements-bench.lock
	$(BIN)/python -m bench.run

LOCK_FLAGS := --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install -q pip-tools
	.venv-lock/bin/pip-compile -q $(LOCK_FLAGS) --extra dev -o requirements.lock pyproject.toml
	.venv-lock/bin/pip-compile -q $(LOCK_FLAGS) --extra dev --extra bench \
		-o requirements-bench.lock pyproject.toml

clean:
	rm -rf $(VENV) .venv-lock data .pytest_cache .mypy_cache .ruff_cache
