# Set-up and everyday commands. `make run` and `make test` each set up what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test lint bench default-model tiny-model clean

$(BIN)/storyteller: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

run: $(BIN)/storyteller
	$(BIN)/storyteller $(ARGS)

test: $(BIN)/storyteller
	$(BIN)/python -m pytest

lint: $(BIN)/storyteller
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(BIN)/storyteller
	$(BIN)/python bench/step_latency.py
	$(BIN)/python bench/seed_task.py
	$(BIN)/python bench/app_latency.py

# Rebuild the shipped model from the project's own corpus (about 10 minutes on 2 cores), with the
# settings it was trained with, spelled out; it writes models/default.index (the corpus index) too.
default-model: $(BIN)/storyteller
	$(BIN)/storyteller train training/corpus --out models/default.onnx --name default \
		--preset balanced --epochs 12 --seed 1 --threads 2 --precision fp32 --counts-share 0 --rare-as-unknown 0 --int8

# Rebuild the small model the tests load.
tiny-model: $(BIN)/storyteller
	$(BIN)/python tests/fixtures/make_tiny_model.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
