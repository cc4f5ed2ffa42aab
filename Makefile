# The README's entry points. Each target installs what it needs first.
#   make build   release-style build at build/ctihub
#   make run     build, ingest the demo set into ./ctihub.db, print the digest,
#                then serve the API on 127.0.0.1:8080 until Ctrl-C
#   make check   every test under AddressSanitizer and UBSan, plus fuzzing
#   make bench   benchmarks against their baselines (see docs/benchmarks.md)

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 5
DB         ?= ctihub.db
LISTEN     ?= 127.0.0.1:8080

.PHONY: all build run check unit fuzz bench clean bootstrap

all: build

bootstrap:
	@./scripts/bootstrap

$(BUILD)/build.ninja:
	@./scripts/bootstrap
	meson setup $(BUILD) --buildtype=release -Dtests=false

build: $(BUILD)/build.ninja
	@./scripts/bootstrap
	ninja -C $(BUILD)

run: build
	./$(BUILD)/ctihub --db $(DB) init
	./$(BUILD)/ctihub --db $(DB) --warninglist examples/warninglists ingest --source demo-feeds --tlp CLEAR examples/feeds/*
	./$(BUILD)/ctihub --db $(DB) --warninglist examples/warninglists ingest --source analyst-notes --tlp AMBER examples/notes/*
	./$(BUILD)/ctihub --db $(DB) digest --since 1d
	./$(BUILD)/ctihub --db $(DB) --warninglist examples/warninglists serve --listen $(LISTEN)

$(ASAN_BUILD)/build.ninja:
	@./scripts/bootstrap
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false

# check also builds the release binary of `make run`: -O3 finds warnings
# (such as possibly uninitialised values) that the test build does not.
unit check: $(ASAN_BUILD)/build.ninja
	@./scripts/bootstrap
	@$(MAKE) --no-print-directory build
	ninja -C $(ASAN_BUILD)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  meson test -C $(ASAN_BUILD) --print-errorlogs
	@$(MAKE) --no-print-directory fuzz
	@./scripts/test-summary $(ASAN_BUILD) 3

$(FUZZ_BUILD)/build.ninja:
	@./scripts/bootstrap
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Dtests=false \
	  -Db_sanitize=address,undefined -Db_lundef=false

fuzz: $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	@for f in parse extract csv form; do \
	  echo "fuzz_$$f: $(FUZZ_SECONDS) s"; \
	  mkdir -p $(FUZZ_BUILD)/corpus-$$f; \
	  ./$(FUZZ_BUILD)/tests/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
	    $(FUZZ_BUILD)/corpus-$$f tests/fuzz/corpus/$$f 2>$(FUZZ_BUILD)/fuzz_$$f.log \
	    || { tail -50 $(FUZZ_BUILD)/fuzz_$$f.log; exit 1; }; \
	done
	@echo "fuzz: 4 passed, 0 failed"

bench: build
	./bench/run
	./bench/http
	./bench/digest
	./bench/warnlist

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) build-bench
