# incident-responder: every developer task. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
FUZZ_SECONDS ?= 300

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

.PHONY: run
run: ## Run the workflow on the demo alarm, from an empty data dir (.responder/demo)
	rm -rf .responder/demo
	RESPONDER_DATA_DIR=.responder/demo cargo run --quiet -p responder -- run events/eventbridge/metric-alarm-lambda-errors.json --auto-approve

.PHONY: test
test: ## Run every check: formatting, clippy, all tests (what CI runs)
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo test --workspace --locked

.PHONY: build
build: ## Build the workspace
	cargo build --workspace --locked

.PHONY: fmt
fmt: ## Format the code
	cargo fmt --all

.PHONY: bench
bench: ## Run the benchmarks (normalize, engine transitions, time per incident)
	cargo bench -p responder-core --bench normalize
	cargo bench -p responder-sfn --bench engine
	cargo bench -p responder-local --bench incident

.PHONY: fuzz
fuzz: ## Fuzz normalize for FUZZ_SECONDS (default 300; needs nightly and cargo-fuzz)
	mkdir -p crates/core/fuzz/corpus/normalize
	find events -type f \( -name '*.json' -o -name '*.txt' \) -exec sh -c 'cp "$$1" crates/core/fuzz/corpus/normalize/$$(echo "$$1" | tr "/." "__")' _ {} \;
	cd crates/core/fuzz && cargo +nightly fuzz run normalize corpus/normalize -- \
		-max_total_time=$(FUZZ_SECONDS) -max_len=300000 -rss_limit_mb=2048

.PHONY: clean
clean: ## Remove build output and local data
	cargo clean
	rm -rf .responder
