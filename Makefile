# The two commands a new user needs:  `make chat`  and  `make test`.
# Everything else here is what they depend on; each step is done once and skipped after.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-8)

.PHONY: chat test lint setup install browser ingest bench eval clean

chat: setup  ## set up, ingest the sample articles if the index is empty, serve the chat UI on 127.0.0.1:7860
	$(BIN)/newsrag chat

test: lint setup browser  ## lint, type-check, set up and run every test (unit, integration, real LLM, browser)
	$(BIN)/python -m pytest -q -rs

lint: install  ## ruff and mypy, as configured in pyproject.toml; any finding fails the build
	$(BIN)/ruff check .
	$(BIN)/mypy

install: $(STAMP)
$(STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and pinned: the CPU wheel; any other torch pulls several GB of CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[llm,test]'
	touch $@

setup: install  ## build the offline embedder folder and the local LLM file (once)
	$(BIN)/newsrag setup

browser:  ## Debian's chromium for the UI tests (test tools cannot download browsers here)
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

ingest: setup
	$(BIN)/newsrag ingest data/articles

bench: setup
	$(BIN)/python bench/ingest_bench.py

eval: setup
	$(BIN)/newsrag eval eval/questions.jsonl

clean:
	rm -rf .newsrag reports
