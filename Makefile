# Two commands do all set-up on a fresh machine (see README.md):
#   make book   - create .venv, install, run the study at PROFILE (default ci), build the book
#   make test   - create or update .venv, run the test suite
PROFILE ?= ci
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help venv test format study book book-only pages publish clean-build

help:
	@echo "make book [PROFILE=ci|full|smoke]  run the study and build the book"
	@echo "make book-only                     rebuild the book from runs/ without running anything"
	@echo "make test                          lint (ruff) and run the tests"
	@echo "make pages                         build the published (runs/full) book in _build/pages, as the workflow does"
	@echo "make publish                       push that build to the gh-pages branch (ghp-import)"
	@echo "make format                        fix imports and format the code (ruff)"

# Re-installs when pyproject.toml or constraints.txt changes. pyproject.toml pins torch/torchvision exactly;
# constraints.txt fixes every other package to the versions the published run used.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install -c constraints.txt -e .
	@touch $(STAMP)

venv: $(STAMP)

format: $(STAMP)
	$(BIN)/ruff check --fix fslib tests
	$(BIN)/ruff format fslib tests

# ruff first (lint, then the formatting check; `make format` rewrites), then pytest. pytest exits 5 when it
# collected no tests: that means the suite is broken, so it fails here on purpose.
test: $(STAMP)
	$(BIN)/ruff check fslib tests
	$(BIN)/ruff format --check fslib tests
	@$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests; treating that as a failure" >&2; fi; \
	exit $$rc

study: $(STAMP)
	$(BIN)/fslib study --profile $(PROFILE)

book: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/fslib study --profile $(PROFILE) && \
	$(BIN)/fslib book --profile $(PROFILE) && \
	echo "make book: profile $(PROFILE) done in $$(( $$(date +%s) - start )) s; open $(CURDIR)/_build/html/index.html"

book-only: $(STAMP)
	$(BIN)/fslib book

# The site the publishing workflow (.github/workflows/book.yml) deploys: the committed runs/full book, built in
# a copy of the book's sources so the repository's own book/ and _build/html are untouched.
pages: $(STAMP)
	rm -rf _build/pages
	$(BIN)/fslib book --profile full --dest _build/pages

# For hosts without GitHub Actions: the same site pushed to the gh-pages branch of `origin`.
publish: pages
	$(BIN)/ghp-import --no-jekyll --push --force --branch gh-pages _build/pages/_build/html

clean-build:
	rm -rf _build book/study book/_generated
