# Sluice host-side entry points. Every target sets up the pinned venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
MPLIB  := build/mplib

.PHONY: help deps test bench sim clean check-config deploy

help:
	@echo "make sim     run the virtual board with the demo plant (SIM_ARGS='--help' for options)"
	@echo "make test    run all host tests on the real micropython interpreter"
	@echo "make bench   print benchmark results, one JSON object per line"
	@echo "make check-config BOARD=pico_w CONFIG=config_1tank   validate a board and plant before deploying"
	@echo "make deploy PORT=/dev/ttyACM0 BOARD=pico_w   compile, halt, copy what changed, reset (PORT default: make sim's pty)"

$(BIN)/.deps: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(MPLIB)/.done: tools/fetch_mplib.py | $(BIN)/.deps
	$(BIN)/python tools/fetch_mplib.py $(MPLIB)

deps: $(BIN)/.deps $(MPLIB)/.done

test: deps
	$(BIN)/python -m pytest host_tests $(PYTEST_ARGS)

bench: deps
	$(BIN)/python tools/bench.py

BOARD  ?= virtual
CONFIG ?= config
check-config: deps
	$(BIN)/micropython tools/check_config.py $(BOARD) $(CONFIG)

sim: deps
	$(BIN)/python tools/sim.py $(SIM_ARGS)

PORT ?= build/vboard/tty
deploy: deps
	$(BIN)/python tools/deploy.py --port $(PORT) --board $(BOARD) --config $(CONFIG) $(DEPLOY_ARGS)

clean:
	rm -rf build .pytest_cache
