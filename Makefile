# floe: the two commands in the README are `make run` and `make test`.
GO        ?= go
BIN       := bin
STATICCHECK_VERSION := v0.7.0
FUZZTIME  ?= 200000x

.PHONY: all build plugins run test deps vet staticcheck unit fuzz-smoke proto bench bench-hooks bench-plugins clean

all: build

build:
	$(GO) build -o $(BIN)/floe ./cmd/floe

# The shipped plugins, next to floe: bin/floe-plugin-NAME.
PLUGINS := passwd ldap rewrite
plugins:
	@set -e; for p in $(PLUGINS); do $(GO) build -o $(BIN)/floe-plugin-$$p ./plugins/$$p; done

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
# The budget is a count of executions, not a duration: when a wall-clock
# -fuzztime runs out while a starved worker is mid-call, go test fails with a
# bare "context deadline exceeded" and no input (seen in CI on a loaded
# machine). A count only gets slower under load. Minimizing is off for the
# same reason; a real finding still fails and writes testdata/fuzz/.
#
# Targets that drive real sockets and pause between writes run a few hundred
# inputs a second, not thousands, so they get FUZZTIME_SOCKET instead.
FUZZ_SOCKET     ?= FuzzSplitMessages
FUZZTIME_SOCKET ?= 1000x
fuzz-smoke:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    budget=$(FUZZTIME); \
	    case " $(FUZZ_SOCKET) " in *" $$t "*) budget=$(FUZZTIME_SOCKET);; esac; \
	    echo "fuzz $$pkg $$t ($$budget)"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $$budget -fuzzminimizetime 0 $$pkg; \
	  done; \
	done

# floe side by side with glacier2router, a plain TCP relay and direct calls
# on the same load (docs/performance.md); about 15 minutes. BENCHFLAGS adds
# floe-bench flags, e.g. BENCHFLAGS=-quick or BENCHFLAGS='-runs 9'.
bench: build
	$(GO) build -o $(BIN)/floe-bench ./cmd/floe-bench
	$(BIN)/floe-bench -floe $(BIN)/floe -json $(BIN)/bench-$$(git rev-parse --short HEAD 2>/dev/null || echo nogit).json $(BENCHFLAGS)

# Throughput with no hook, a trivial Lua on_request, a RequestFilter plugin
# on every request, and its cached verdict, under the same C++ Ice load
# (about three and a half minutes).
bench-hooks:
	FLOE_BENCH=1 $(GO) test -count=1 -v -run TestHookThroughput ./test/interop/ | grep -E 'plugin_bench.*(calls|rounds|target)|^(ok|FAIL|---)'
bench-plugins: bench-hooks

# Regenerates the plugin protocol's Go code (committed, so building and CI
# need no protoc): Debian's protobuf-compiler plus the two generators at
# pinned versions, installed into bin/.
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
PROTO_DIR := sdk/proto
proto:
	@command -v protoc >/dev/null || (echo "protoc missing: apt-get install protobuf-compiler" && exit 1)
	GOBIN=$(CURDIR)/$(BIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(CURDIR)/$(BIN) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	PATH=$(CURDIR)/$(BIN):$$PATH protoc -I $(PROTO_DIR) \
	  --go_out=$(PROTO_DIR) --go_opt=paths=source_relative \
	  --go-grpc_out=$(PROTO_DIR) --go-grpc_opt=paths=source_relative \
	  $$(cd $(PROTO_DIR) && find . -name '*.proto' | sed 's|^\./||')

clean:
	rm -rf $(BIN)
