# The two commands: `make demo` (the local stack with simulated traffic) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
DATA ?=

.PHONY: setup demo test test-external lint services-stop clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/setup.sh
	./scripts/setup.sh

demo: setup
	$(BIN)/hotline up --demo $(if $(DATA),--data $(DATA))

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy config events asr online_models alerts privacy access storage
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

# The same suite against the servers HOTLINE_KAFKA_URL, HOTLINE_CLICKHOUSE_URL and HOTLINE_REDIS_URL
# name (e.g. the compose file's Kafka and ClickHouse); tests that stop or start services are skipped.
test-external: setup
	HOTLINE_TEST_EXTERNAL=1 $(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check .

services-stop: setup
	$(BIN)/hotline services stop

clean:
	rm -rf $(VENV) .local
