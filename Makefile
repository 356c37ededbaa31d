# Two commands a council admin needs: `make run` (the bot on SQLite; without a BOT_TOKEN, a chat
# with it in the terminal) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run demo web migrate test test-sqlite test-postgres lint bench install

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(PY) -m bot migrate

# Telegram with BOT_TOKEN set (in .env or the environment); without any token, the terminal chat.
run: migrate
	$(PY) -m bot run --chat-without-token

# Sample petitions, events, a poll and a council session, in an empty database only.
demo: migrate
	$(PY) -m bot demo-data

web: migrate
	$(PY) -m bot web

# The whole suite twice: on SQLite with in-memory FSM, then on PostgreSQL with Redis.
test: test-sqlite test-postgres lint

test-sqlite: $(STAMP)
	HROMADA_TEST_DB=sqlite $(PY) -m pytest -q -p no:cacheprovider

test-postgres: $(STAMP)
	HROMADA_TEST_DB=postgres $(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m bench.throughput
