# pochta's everyday commands. Each one makes its own virtual environment in
# .venv with the newest Python >= 3.11 it finds (scripts/find-python).

VENV   := .venv
PYTHON := $(VENV)/bin/python
# scripts/venv.py installs each part under a lock, so makes started together
# (make serve in one terminal, make test in another) take turns.
RUN    := $(VENV)/.pochta-run
STAMP  := $(VENV)/.pochta-dev

.PHONY: serve test test-lts nox lint bench clean

## serve: run the catcher (SMTP 127.0.0.1:1025, inbox and API http://127.0.0.1:8025); installs only what serving needs
serve: $(RUN)
	$(VENV)/bin/pochta serve

## test: install what the tests need (Python packages, Debian's Chromium and mail programs) and run the whole suite
test: $(STAMP)
	scripts/install-browser
	scripts/install-mail-programs
	$(PYTHON) -m pytest

## test-lts: Django 5.2 LTS on Python 3.11: the Django-dependent tests (what CI adds)
test-lts: $(STAMP)
	$(VENV)/bin/nox -s lts

## nox: the mail, Django and Task site tests on Django 5.2, 6.0 and 6.1 (noxfile.py, minutes)
nox: $(STAMP)
	$(VENV)/bin/nox

## lint: ruff on everything, mypy --strict on the package and the tests
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench examples noxfile.py
	$(VENV)/bin/ruff format --check src tests bench examples noxfile.py
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy tests

## bench: the ingest benchmark against aiosmtpd (minutes, not part of the tests)
bench: $(STAMP)
	$(PYTHON) bench/ingest.py

$(RUN): pyproject.toml
	"$$(scripts/find-python)" scripts/venv.py run

$(STAMP): pyproject.toml
	"$$(scripts/find-python)" scripts/venv.py dev

clean:
	rm -rf $(VENV) .nox build dist
