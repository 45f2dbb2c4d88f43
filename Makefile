# opsdesk: `make run` serves the demo, `make test` runs the whole suite (SQLite and PostgreSQL, side by side).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?=
PYTEST := $(PY) -m pytest -q --tb=short $(PYTEST_ARGS)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help run test test-sqlite test-postgres system-deps lint fmt clean distclean lock upgrade

help:
	@echo "make run        install into .venv, migrate, load the demo, serve http://127.0.0.1:8000"
	@echo "make test       the suite on SQLite, then on a throw-away PostgreSQL (PYTEST_ARGS=... to narrow)"
	@echo "make lock       re-lock requirements/*.txt after editing pyproject.toml (keeps pins that fit)"
	@echo "make upgrade    newest releases into the lock, then make test"
	@echo "make lint | fmt | clean | distclean"

# --- environment -------------------------------------------------------------------------
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	    || { echo "opsdesk needs Python 3.11+; '$(PYTHON)' is $$($(PYTHON) -V 2>&1). Try PYTHON=python3.11"; exit 1; }
	if ! $(PYTHON) -m venv $(VENV); then
	    rm -rf $(VENV)
	    echo "Could not create $(VENV): on Debian/Ubuntu install python3-venv (apt-get install python3-venv)."
	    exit 1
	fi

# Installs come from the lock (requirements/*.txt: every package of the tree pinned with its
# hashes, compiled from pyproject.toml by pip-tools), never from the newest release on the index.
# Reinstall only when the lock changes. opsdesk itself goes in last, editable, with the locked
# setuptools (no build isolation, so nothing unlocked is fetched to build it).
LOCK_RUN := requirements/run.txt
LOCK_DEV := requirements/dev.txt
PIP_LOCKED := $(PY) -m pip install --quiet --quiet --require-hashes
PIP_SELF := $(PY) -m pip install --quiet --quiet --no-deps --no-build-isolation -e .

$(RUN_STAMP): $(LOCK_RUN) pyproject.toml | $(PY)
	@echo "Installing opsdesk into $(VENV) from $(LOCK_RUN) ..."
	$(PIP_LOCKED) -r $(LOCK_RUN)
	$(PIP_SELF)
	touch $@

$(DEV_STAMP): $(LOCK_DEV) pyproject.toml | $(PY)
	@echo "Installing opsdesk with test dependencies into $(VENV) from $(LOCK_DEV) ..."
	$(PIP_LOCKED) -r $(LOCK_DEV)
	$(PIP_SELF)
	touch $@ $(RUN_STAMP)

# --- the lock ----------------------------------------------------------------------------
# `make lock` after editing pyproject.toml's dependencies: keeps every pin that still fits.
# `make upgrade` moves every package to its newest release that fits, then runs the whole
# suite: a newer release reaches users only through a lock that passed `make test`.
PIP_COMPILE = $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-index-url --no-emit-find-links --build-deps-for editable

lock: $(DEV_STAMP)
	@$(PIP_COMPILE) $(LOCK_ARGS) --extra dev -o $(LOCK_DEV) pyproject.toml
	# The runtime lock is the dev lock's subset: the same versions, seeded from it.
	cp $(LOCK_DEV) $(LOCK_RUN)
	$(PIP_COMPILE) -o $(LOCK_RUN) pyproject.toml
	echo "Locked: $(LOCK_RUN) ($$(grep -c '==' $(LOCK_RUN)) packages), $(LOCK_DEV) ($$(grep -c '==' $(LOCK_DEV)))"

upgrade:
	@$(MAKE) --no-print-directory lock LOCK_ARGS=--upgrade
	git --no-pager diff --stat -- requirements || true
	$(MAKE) --no-print-directory test

# PostgreSQL server, Chromium, Prometheus Alertmanager and Prometheus (tests/e2e) from the system packages,
# when missing and apt-get exists.
system-deps:
	@missing=()
	compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
	[ -x /usr/bin/chromium ] || missing+=(chromium)
	[ -x /usr/bin/prometheus-alertmanager ] || missing+=(prometheus-alertmanager)
	[ -x /usr/bin/promtool ] || missing+=(prometheus)
	[ $${#missing[@]} -eq 0 ] && exit 0
	if ! command -v apt-get >/dev/null; then
	    echo "warning: missing $${missing[*]} and no apt-get; install them yourself." >&2; exit 0
	fi
	sudo=()
	if [ "$$(id -u)" -ne 0 ]; then
	    command -v sudo >/dev/null || { echo "need root or sudo to install: $${missing[*]}" >&2; exit 1; }
	    sudo=(sudo)
	fi
	echo "Installing system packages: $${missing[*]}"
	"$${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	"$${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$${missing[@]}"
	if [[ " $${missing[*]} " == *" prometheus-alertmanager "* ]]; then
	    # The package starts a system Alertmanager on :9093 and enables it at boot. The tests run
	    # their own on free ports: stop and disable the service (no init system: nothing started).
	    if [ -d /run/systemd/system ]; then
	        "$${sudo[@]}" systemctl disable --now --quiet prometheus-alertmanager.service || true
	    else
	        "$${sudo[@]}" invoke-rc.d prometheus-alertmanager stop >/dev/null 2>&1 || true
	        "$${sudo[@]}" update-rc.d prometheus-alertmanager disable >/dev/null 2>&1 || true
	    fi
	    echo "Stopped and disabled the prometheus-alertmanager service the package started (the tests start their own)."
	fi
	if [[ " $${missing[*]} " == *" prometheus "* ]]; then
	    # The same for the Prometheus server (its promtool checks deploy/prometheus/*.yml; the
	    # tests start their own server to scrape /metrics).
	    if [ -d /run/systemd/system ]; then
	        "$${sudo[@]}" systemctl disable --now --quiet prometheus.service || true
	    else
	        "$${sudo[@]}" invoke-rc.d prometheus stop >/dev/null 2>&1 || true
	        "$${sudo[@]}" update-rc.d prometheus disable >/dev/null 2>&1 || true
	    fi
	    echo "Stopped and disabled the prometheus service the package started (the tests start their own)."
	fi

# --- run ---------------------------------------------------------------------------------
run: $(RUN_STAMP)
	@$(VENV)/bin/opsdesk migrate --no-input -v 0
	$(VENV)/bin/opsdesk demo --if-empty
	exec $(VENV)/bin/opsdesk serve

# --- tests -------------------------------------------------------------------------------
# Both passes always run; the target fails if either fails (pytest's "no tests", 5, too).
# They run side by side (much of a pass is waiting on a database, a browser or a live server,
# so two passes on two cores take little longer than the slower one); each pass's output is
# kept in its own file and printed whole when both are done. TEST_SERIAL=1 runs them in turn.
TEST_SERIAL ?=
test: system-deps $(DEV_STAMP)
	@failed=()
	$(MAKE) --no-print-directory lint || failed+=(lint)
	if [ -n "$(TEST_SERIAL)" ]; then
	    $(MAKE) --no-print-directory test-sqlite || failed+=(SQLite)
	    $(MAKE) --no-print-directory test-postgres || failed+=(PostgreSQL)
	else
	    logs=$$(mktemp -d); trap 'rm -rf "$$logs"' EXIT
	    echo "== SQLite and PostgreSQL passes, side by side"
	    $(MAKE) --no-print-directory test-sqlite >"$$logs/sqlite" 2>&1 & sqlite=$$!
	    $(MAKE) --no-print-directory test-postgres >"$$logs/postgres" 2>&1 & postgres=$$!
	    wait $$sqlite || failed+=(SQLite)
	    wait $$postgres || failed+=(PostgreSQL)
	    cat "$$logs/sqlite" "$$logs/postgres"
	fi
	if [ $${#failed[@]} -ne 0 ]; then echo "make test: FAILED on $${failed[*]}"; exit 1; fi
	echo "make test: lint clean; passed on SQLite and PostgreSQL"

test-sqlite: $(DEV_STAMP)
	@var=$$(mktemp -d); trap 'rm -rf "$$var"' EXIT
	echo "== SQLite pass"
	start=$$SECONDS; rc=0
	OPSDESK_VAR_DIR=$$var $(PYTEST) || rc=$$?
	echo "== SQLite pass: $$([ $$rc -eq 0 ] && echo passed || echo "FAILED (pytest exit $$rc)") in $$((SECONDS - start))s"
	exit $$rc

test-postgres: $(DEV_STAMP)
	@var=$$(mktemp -d); trap 'rm -rf "$$var"' EXIT
	echo "== PostgreSQL pass"
	start=$$SECONDS; rc=0
	OPSDESK_VAR_DIR=$$var $(PY) -m tests.pgserver -- $(PYTEST) || rc=$$?
	echo "== PostgreSQL pass: $$([ $$rc -eq 0 ] && echo passed || echo "FAILED (exit $$rc)") in $$((SECONDS - start))s"
	exit $$rc

# --- quality -----------------------------------------------------------------------------
lint: $(DEV_STAMP)
	@echo "== lint: ruff, import contract, mypy"
	rc=0
	$(VENV)/bin/ruff check src tests || rc=1
	$(VENV)/bin/lint-imports || rc=1
	OPSDESK_VAR_DIR=$$(mktemp -d) $(VENV)/bin/mypy src/opsdesk || rc=1
	exit $$rc

fmt: $(DEV_STAMP)
	@$(VENV)/bin/ruff format src tests
	$(VENV)/bin/ruff check --fix src tests

clean:
	@find src tests -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf build dist src/*.egg-info .pytest_cache .ruff_cache .mypy_cache test-artifacts

# Also removes the virtualenv (never var/, which holds your database and secret key).
distclean: clean
	@rm -rf $(VENV)
