# Two entry points: `make demo` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
REGISTRY := $(VENV)/bin/registry
SYSTEM_PACKAGES := libengine-gost-openssl nginx chromium openssl postgresql fonts-dejavu-core redis-server wrk poppler-utils
DEMO_DIR ?= instance/demo
# Keep compiled modules (__pycache__, pytest's rewritten tests) between processes: the suite
# starts hundreds of Python processes (test workers, CLI commands, gunicorn nodes), and each
# would compile the whole application again (collection alone: 6.1 s -> 3.3 s).
unexport PYTHONDONTWRITEBYTECODE
PORT ?= 8443

.PHONY: demo demo-nginx test lint test-sqlite test-postgres install system-deps bench bench-http bench-http-postgres bench-scale bench-scale-full bench-egrul bench-documents bench-trust clean

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	touch $@

install: system-deps $(VENV)/.installed

demo: install
	$(REGISTRY) demo setup --dir $(DEMO_DIR)
	$(REGISTRY) demo serve --dir $(DEMO_DIR) --port $(PORT)

# The same demo behind the shipped nginx configuration (deploy/nginx/registry.conf): GOST TLS
# beside ECDSA on https://localhost:8443, gunicorn on a unix socket.
demo-nginx: install
	$(PY) deploy/nginx_demo.py --dir $(DEMO_DIR) --port $(or $(DEMO_PORT),8443)

# The whole suite, every database test on SQLite and on PostgreSQL (a fresh database per run
# on the local server 127.0.0.1:5432, or a temporary cluster when none answers).
# Three test processes on two cores (much of the suite waits on the servers it starts: on this
# machine 2 processes took 3 min 23 s, 3 took 2 min 49 s, 4 took 2 min 59 s), each taking whole
# files so a file's servers and fixtures are set up once. Tests with wall-clock limits (marked
# `serial`) then run alone, so other test processes do not eat their seconds.
TEST_WORKERS ?= 3
XDIST := -n $(TEST_WORKERS) --dist loadfile

test: install lint
	$(PY) -m pytest -q $(XDIST) -m "not serial" $(PYTEST_ARGS)
	$(PY) -m pytest -q -m serial $(PYTEST_ARGS)

# ruff (rules in pyproject.toml) on the code, the tests and the benchmarks; mypy on registry/pki, the core and
# every services.py (files and options in pyproject.toml).
lint: install
	$(VENV)/bin/ruff check registry tests bench
	$(VENV)/bin/mypy

test-sqlite: install
	REGISTRY_TEST_DATABASES=sqlite $(PY) -m pytest -q $(XDIST) -m "not serial" $(PYTEST_ARGS)
	REGISTRY_TEST_DATABASES=sqlite $(PY) -m pytest -q -m serial $(PYTEST_ARGS)

test-postgres: install
	REGISTRY_TEST_DATABASES=postgresql $(PY) -m pytest -q $(XDIST) -m "not serial" $(PYTEST_ARGS)
	REGISTRY_TEST_DATABASES=postgresql $(PY) -m pytest -q -m serial $(PYTEST_ARGS)

bench: install
	$(PY) bench/pki.py

bench-http: install
	$(PY) -m bench.http  # PostgreSQL, then SQLite

bench-http-postgres: install
	$(PY) -m bench.http --database postgresql

bench-scale: install
	$(PY) -m bench.scale

bench-scale-full: install
	$(PY) -m bench.scale --sizes 0.1,1

bench-egrul: install
	$(PY) bench/egrul.py

bench-documents: install
	$(PY) bench/documents.py

bench-trust: install
	$(PY) bench/trust.py

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
