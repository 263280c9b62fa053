# incident-responder: every developer task. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
FUZZ_SECONDS ?= 300

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

.PHONY: run
# Not --quiet: the first build takes minutes, and cargo's progress shows it.
run: ## Run the workflow on the demo alarm, from an empty data dir (.responder/demo)
	rm -rf .responder/demo
	RESPONDER_DATA_DIR=.responder/demo cargo run --locked -p responder -- run events/eventbridge/metric-alarm-lambda-errors.json --auto-approve

.PHONY: install
install: ## Put `responder` on the PATH (cargo install, into ~/.cargo/bin)
	cargo install --path crates/cli --locked

.PHONY: test
# Pinned Python tools in .venv-tools: moto (the local AWS the adapter tests
# start), awscurl and the MCP Python SDK (the real clients of the API),
# cfn-lint (the CDK templates), and cargo-lambda (for `make package`); AWS's
# SigV4 MCP proxy in a venv of its own (.venv-tools/mcp-proxy: it pins
# another `mcp` than the SDK's).
MOTO_VERSION := 5.2.5
AWSCURL_VERSION := 0.44
MCP_VERSION := 2.3.0
CFN_LINT_VERSION := 1.58.0
MCP_PROXY_VERSION := 1.7.0
TOOLS := .venv-tools/.tools-$(MOTO_VERSION)-$(AWSCURL_VERSION)-$(MCP_VERSION)-$(CFN_LINT_VERSION)-$(MCP_PROXY_VERSION)
# The CDK app's packages, exactly as cdk/package-lock.json pins them, and
# the browser tests' (playwright-core, driving Debian's chromium).
CDK_MODULES := cdk/node_modules/.package-lock.json
BROWSER_MODULES := tests/browser/node_modules/.package-lock.json

.PHONY: tools
tools: $(TOOLS) $(CDK_MODULES) $(BROWSER_MODULES) /usr/bin/chromium ## Install the pinned test tools (moto server, awscurl, MCP SDK, mcp-proxy-for-aws, cfn-lint; the CDK app's and browser tests' npm packages; Debian's chromium)
$(TOOLS):
	python3 -m venv .venv-tools
	.venv-tools/bin/pip install -q "moto[server]==$(MOTO_VERSION)" "awscurl==$(AWSCURL_VERSION)" "mcp==$(MCP_VERSION)" "cfn-lint==$(CFN_LINT_VERSION)"
	python3 -m venv .venv-tools/mcp-proxy
	.venv-tools/mcp-proxy/bin/pip install -q "mcp-proxy-for-aws==$(MCP_PROXY_VERSION)"
	touch $@
$(CDK_MODULES): cdk/package-lock.json
	cd cdk && npm ci --no-audit --no-fund
	touch $@
$(BROWSER_MODULES): tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund
	touch $@
# Playwright never downloads a browser here: it drives Debian's.
/usr/bin/chromium:
	apt="apt-get"; [ "$$(id -u)" = 0 ] || apt="sudo apt-get"; \
	$$apt install -y -q chromium || { $$apt update -q && $$apt install -y -q chromium; }

# No incremental caches: they only grow target/ (1.9 GB per test run).
test: export CARGO_INCREMENTAL = 0
test: tools ## Run every check: formatting, clippy, all tests, the scenario scores, the real API clients, the console in Chromium, the CDK app (what CI runs)
	tests/leftovers.sh start
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo test --workspace --locked
	cargo build --locked -p responder
	target/debug/responder eval tests/scenarios
	tests/clients/run.sh
	tests/browser/run.sh
	cd cdk && npm test
	.venv-tools/bin/cfn-lint --non-zero-exit-code error cdk/cdk.out.test/*.template.json
	$(MAKE) aws-local ENV=dev
	$(MAKE) aws-local-test
	tests/leftovers.sh check

.PHONY: eval
eval: ## Score the built-in analysis on the team's incident scenarios (tests/scenarios; docs/eval.md)
	cargo run --quiet --locked -p responder -- eval tests/scenarios

.PHONY: cdk-test
cdk-test: tools ## The CDK app only: synthesize every environment offline, assertions, cdk-nag, cfn-lint
	cd cdk && npm test
	.venv-tools/bin/cfn-lint --non-zero-exit-code error cdk/cdk.out.test/*.template.json

.PHONY: synth
ENV ?= dev
synth: ## Synthesize the stack of ENV (dev, stage, prod) from the packages of `make package`
	@ls target/lambda/*/bootstrap.zip >/dev/null 2>&1 || { echo "No function packages in target/lambda: run \`make package\` first, then \`make synth\`." >&2; exit 1; }
	cd cdk && npx cdk synth -c env=$(ENV) --quiet

.PHONY: aws-local aws-local-test
# The functions' host builds (the crates `make package` zips), built apart
# from the harness: one build would unify their dependencies' features with
# the harness's, and rebuild every function.
AWS_LOCAL_BUILD = cargo build --locked $(addprefix -p ,$(sort $(FUNCTIONS)))
aws-local: $(TOOLS) $(CDK_MODULES) ## Run the synthesized stack of ENV on one machine: moto, the functions' host builds behind a Runtime API, the local engine, IAM checked (AWS_LOCAL_TEMPLATE=FILE runs that template)
	$(AWS_LOCAL_BUILD)
	MOTO_SERVER=$(CURDIR)/.venv-tools/bin/moto_server AWSCURL=$(CURDIR)/.venv-tools/bin/awscurl \
		cargo run --quiet --locked -p aws-local -- --env $(ENV) $(if $(AWS_LOCAL_TEMPLATE),--template $(AWS_LOCAL_TEMPLATE))

aws-local-test: $(TOOLS) $(CDK_MODULES) ## aws-local's tests: a role without a needed action, a renamed variable (both must fail, naming what broke)
	$(AWS_LOCAL_BUILD)
	MOTO_SERVER=$(CURDIR)/.venv-tools/bin/moto_server AWSCURL=$(CURDIR)/.venv-tools/bin/awscurl \
		cargo test --locked -p aws-local -- --include-ignored

.PHONY: build
build: ## Build the workspace
	cargo build --workspace --locked

.PHONY: fmt
# Pinned: cargo-lambda from PyPI brings zig, the cross-linker for arm64.
CARGO_LAMBDA_VERSION := 1.9.2
FUNCTIONS := $(notdir $(patsubst %/Cargo.toml,%,$(wildcard functions/*/Cargo.toml)))

.PHONY: package
package: ## Build one arm64 bootstrap.zip per Lambda function under target/lambda/ (cargo-lambda)
	test -x .venv-tools/bin/cargo-lambda || (python3 -m venv .venv-tools && .venv-tools/bin/pip install -q cargo-lambda==$(CARGO_LAMBDA_VERSION))
	rustup target add aarch64-unknown-linux-gnu
	@start=$$(date +%s); \
	PATH="$(CURDIR)/.venv-tools/bin:$$PATH" cargo lambda build --release --arm64 --output-format zip $(addprefix -p ,$(sort $(FUNCTIONS))) && \
	ls -l target/lambda/*/bootstrap.zip | awk '{ printf "%-44s %5.1f MB\n", $$9, $$5 / 1048576 }' && \
	echo "make package took $$(( $$(date +%s) - start )) s"

fmt: ## Format the code
	cargo fmt --all

.PHONY: bench
bench: ## Run the benchmarks (normalize, engine transitions, time per incident, API requests)
	cargo bench -p responder-core --bench normalize
	cargo bench -p responder-sfn --bench engine
	cargo bench -p responder-local --bench incident
	cargo bench -p responder-local --bench api_server

.PHONY: bench-init
# The functions' release builds, then the bench (tests/aws-local/src/bin/
# lambda_init.rs): cold starts one at a time against aws-local's Runtime
# API, moto for the secrets read at init. RUNS=N for fewer or more.
bench-init: $(TOOLS) ## Each Lambda function's init time: process start to its first Runtime API poll (release builds; median, min, max of RUNS=20, against a floor)
	cargo build --locked --release $(addprefix -p ,$(sort $(FUNCTIONS)))
	MOTO_SERVER=$(CURDIR)/.venv-tools/bin/moto_server \
		cargo run --quiet --locked -p aws-local --bin lambda_init -- $(if $(RUNS),--runs $(RUNS))

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
