# gureum — `make up` runs it, `make test` checks it. `make help` lists the rest.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PYTEST_ARGS ?=

.PHONY: help up test test-fast test-cluster lint install install-test system-packages runtimes bench fuzz compile clean

help: ## show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(PY):
	@echo "==> creating the virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> upgrading pip"
	$(PY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	@echo "==> installing gureum and its dependencies into $(VENV) (about a minute the first time)"
	$(PY) -m pip install --progress-bar on -e .
	touch $@

# The AWS CDK the CloudFormation tests deploy with (tests/cloudformation/test_cdk.py), and the
# SAM CLI (its own environment: it pins its own boto3).
CDK_PACKAGES := aws-cdk@2.1148.1 aws-cdk-lib@2.276.0 constructs@10.8.1
SAM_CLI := aws-sam-cli==1.170.0

$(TEST_STAMP): pyproject.toml | $(PY)
	@echo "==> installing gureum with what the tests need into $(VENV)"
	$(PY) -m pip install -q -e '.[test]'
	@echo "==> installing the AWS CDK (npm) into $(VENV)/cdk"
	npm install --prefix $(VENV)/cdk --no-package-lock --no-audit --no-fund --loglevel=error $(CDK_PACKAGES)
	@echo "==> installing the AWS SAM CLI into $(VENV)/sam"
	$(PYTHON) -m venv $(VENV)/sam
	$(VENV)/sam/bin/pip install -q $(SAM_CLI)
	touch $(STAMP) $@

install: $(STAMP) ## create .venv and install gureum

install-test: $(TEST_STAMP) ## install gureum with what the tests need

# Byte-compile ahead of time: start-up speed is part of the product, and some environments
# set PYTHONDONTWRITEBYTECODE, which would make every start compile from source.
compile:
	@echo "==> byte-compiling gureum"
	@$(PY) -m compileall -q gureum

up: $(STAMP) compile ## run gureum in the foreground (flags: make up ARGS="--ephemeral")
	$(VENV)/bin/gureum up $(ARGS)

system-packages: ## install the Debian packages the tests use (when run as root)
	@bash scripts/system-packages

# Builds ruby3.3/ruby3.4 from Debian's sources where the cache lacks them (minutes each on 2
# cores, once per machine); a second run only checks (about a second). CI runs it before `make test`.
runtimes: install ## install the toolchains Lambda runtimes need (Debian packages, then `gureum runtimes --install`)
	@bash scripts/system-packages scripts/runtime-packages.txt
	$(VENV)/bin/gureum runtimes --install

test: system-packages install-test compile lint ## install what the tests need, lint, then run the whole suite (the cluster failure suite last, alone)
	$(PY) -m pytest -n 2 --dist loadgroup -q -m "not cluster" $(PYTEST_ARGS)
	$(PY) -m pytest -n 0 -q -m cluster tests/cluster $(PYTEST_ARGS)

lint: install-test ## ruff (pyflakes, import order, bugbear) and mypy (strict for the wire layer, the store and the kit)
	$(VENV)/bin/ruff check gureum tests bench fuzz
	$(PY) -m mypy

test-fast: install-test ## run only the unit tests (no gureum process, no server): feedback in under a minute
	$(PY) -m pytest -n 2 -q -m unit $(PYTEST_ARGS)

test-cluster: install-test compile ## the cluster failure suite alone: 3 nodes in network namespaces, kill -9, PostgreSQL restart (root; make test runs it after the rest, alone: its kill -9 and PostgreSQL restart load the machine)
	$(PY) -m pytest -n 0 -q -s -m cluster tests/cluster $(PYTEST_ARGS)

bench: install-test compile ## run every benchmark (each prints its own same-run baseline)
	@for b in bench/*/run.py; do echo "== $$b"; $(PY) $$b || exit 1; done

FUZZ_SECONDS ?= 60
fuzz: install-test compile ## fuzz one gureum (API, raw HTTP, DNS packets) for FUZZ_SECONDS; FUZZ_SEED=n reproduces
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(PY) fuzz/run.py

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
