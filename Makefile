# otnsim: a testing simulator and compliance harness for Messenger OTN.
GO       ?= go
BIN      ?= bin/otnsim
PKGS     := ./...
BENCHTIME ?= 1s
FUZZTIME ?= 30s
# FUZZMINIMIZE bounds the minimisation of each new interesting input; Go's
# default (60s) left most targets minimising instead of fuzzing.
FUZZMINIMIZE ?= 2s
# VERSION is stamped into the binary by make build; otnsim version prints it.
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  = -X main.version=$(VERSION)

.PHONY: all run test bench bench-serve build lint fuzz docs docs-screenshot tidy clean

all: lint test

## run: run the shipped scenario suite against the reference bot
run:
	$(GO) run ./cmd/otnsim run scenarios/

## test: all Ginkgo suites with the race detector
test:
	$(GO) test -race -count=1 $(PKGS)

## bench: Go benchmarks, in a form benchstat reads
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

## bench-serve: otnsim serve against a bare net/http server under wrk, side by
## side (CONNS, DURATION, ROUNDS, BEFORE=old otnsim); without wrk, BenchmarkServeLoopback
bench-serve:
	BENCHTIME=$(BENCHTIME) GO=$(GO) ./scripts/bench-serve.sh

## build: the otnsim binary under bin/, stamped with VERSION (git describe)
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/otnsim

## docs: regenerate README.md's sample outputs from real runs
docs:
	$(GO) run ./internal/samples/update README.md

## docs-screenshot: regenerate the HTML report's screenshots under docs/
## from the browser test's harness (needs chromium)
docs-screenshot:
	SCREENSHOT_DIR=$(CURDIR)/docs $(GO) test -count=1 -run TestHTMLReport ./htmlreport/ -ginkgo.focus 'real browser'

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## fuzz: run each fuzz target for FUZZTIME, minimising new inputs for at most FUZZMINIMIZE
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeSendRequest$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./fakegraph
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeSendRequestJSON$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./fakegraph
	$(GO) test -run '^$$' -fuzz '^FuzzHandler$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./fakegraph
	$(GO) test -run '^$$' -fuzz '^FuzzControl$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./fakegraph
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./scenarios
	$(GO) test -run '^$$' -fuzz '^FuzzFormat$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./scenarios
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./load/profile
	$(GO) test -run '^$$' -fuzz '^FuzzMerge$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./load/report
	$(GO) test -run '^$$' -fuzz '^FuzzWebhook$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./reference
	$(GO) test -run '^$$' -fuzz '^FuzzTrigger$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./reference

tidy:
	$(GO) mod tidy

clean:
	rm -rf bin
