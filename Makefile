# vmsim: the two set-up commands are `make demo` and `make test`; each installs what
# is missing (system packages, the virtualenv, the guests) and then does its job.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test deps venv guests lint bench clean bytecode

demo: deps venv guests bytecode
	@echo "== vmsim: the crb-linux guest (Linux tpm_crb's access sequence) against a private swtpm"
	@echo "== stderr: every CRB register access and TPM command, decoded; stdout: the guest console"
	$(BIN)/vmsim run crb-linux --trace -

test: deps venv guests bytecode
	$(BIN)/ruff check vmsim tests bench
	$(BIN)/python -m pytest -q

deps:
	@sh scripts/install-deps.sh

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

guests:
	$(MAKE) -C guests

# Compiled once here, so every vmsim process (a matrix starts 147) skips recompiling
# the package even where PYTHONDONTWRITEBYTECODE is set.
bytecode: venv
	@$(BIN)/python -m compileall -q vmsim

lint: venv
	$(BIN)/ruff check vmsim tests bench

bench: deps venv guests bytecode
	$(BIN)/python bench/bench_getrandom.py

clean:
	$(MAKE) -C guests clean
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache .hypothesis
