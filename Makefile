# Ting — the two commands of the README, and the steps behind them.
#   make run    install dependencies, build the release binary, start a demo server
#   make test   install what is missing, build with sanitizers, run every test

SHELL := /bin/bash
HTTP ?= 0.0.0.0:8080
DATA ?= ./var
DEMO_PASSWORD ?=
# ccache reuses objects across checkouts in other directories.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: run build deps test unit api-tests fuzz bench format tidy clean

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release
	@echo "built build/release/ting"

run: build
	build/release/ting serve --demo --data $(DATA) --http $(HTTP) \
	  $(if $(DEMO_PASSWORD),--demo-password '$(DEMO_PASSWORD)')

test: deps
	bash scripts/test.sh

bench: build
	bash bench/run.sh

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

tidy:
	cmake --preset asan >/dev/null
	run-clang-tidy -quiet -p build/asan $$(git ls-files 'src/*.cc')

clean:
	rm -rf build
