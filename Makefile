# The two commands: `make demo` (the local stack with simulated traffic) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
DATA ?=

.PHONY: setup demo test lint services-stop clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/setup.sh
	./scripts/setup.sh

demo: setup
	$(BIN)/hotline up --demo $(if $(DATA),--data $(DATA))

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

services-stop: setup
	$(BIN)/hotline services stop

clean:
	rm -rf $(VENV) .local
