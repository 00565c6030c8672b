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

# Rebuild the shipped model from the project's own corpus (about 3 minutes on 2 cores), with the
# settings it was trained with: the trainer's defaults of that time, spelled out. The run also
# writes the model's corpus index beside it (models/default.index).
default-model: $(BIN)/storyteller
	$(BIN)/storyteller train training/corpus --out models/default.onnx --name default --int8 \
		--layers 2 --units 192 --dropout 0.3 --lr 0.003 --schedule constant --min-count 1 --seed 1

# Rebuild the small model the tests load.
tiny-model: $(BIN)/storyteller
	$(BIN)/python tests/fixtures/make_tiny_model.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
