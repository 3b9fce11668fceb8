# floe: the two commands in the README are `make run` and `make test`.
GO        ?= go
BIN       := bin
STATICCHECK_VERSION := v0.7.0
FUZZTIME  ?= 10s

.PHONY: all build run test deps vet staticcheck unit fuzz-smoke clean

all: build

build:
	$(GO) build -o $(BIN)/floe ./cmd/floe

# Runs the router; with no CONFIG it starts on the embedded development default.
run: build
	$(BIN)/floe run $(if $(CONFIG),--config $(CONFIG))

# The whole test suite: installs missing Debian/npm packages, then vet,
# staticcheck, unit and interop tests, and a short run of every fuzz target.
test: deps vet staticcheck unit fuzz-smoke

deps:
	./.ci/deps

vet:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt needed" && exit 1)
	$(GO) vet ./...

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

unit:
	$(GO) test -count=1 -timeout 10m ./...

# Every fuzz target runs briefly: a crash or over-allocation fails CI.
# Minimizing new inputs is off: a minimization still running when the time
# is up makes go test report "context deadline exceeded" on a loaded machine.
fuzz-smoke:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 0 $$pkg; \
	  done; \
	done

clean:
	rm -rf $(BIN)
